using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SesWorker.Persistence.History;

internal sealed class EmailMessageConfiguration : IEntityTypeConfiguration<EmailMessage>
{
    public void Configure(EntityTypeBuilder<EmailMessage> builder)
    {
        builder.ToTable("email_messages");
        builder.HasKey(e => e.EmailId);
        builder.Property(e => e.EmailId).ValueGeneratedNever();
        builder.Property(e => e.AppId).HasMaxLength(64);
        builder.Property(e => e.FromAddress).HasMaxLength(320);
        builder.Property(e => e.Status).HasMaxLength(16).IsRequired();
        builder.Property(e => e.FailureCode).HasMaxLength(128);
        builder.Property(e => e.Metadata).HasColumnType("jsonb");
        builder.Property(e => e.Sha256).HasMaxLength(64);
        builder.Property(e => e.ProducerKey).HasMaxLength(255);
        // The history's common questions, each on an index: recent emails, per appId, per status, per failure code
        // (over time), per recipient. to_addresses is an array: GIN answers `to_addresses @> ARRAY[...]` without a
        // side table the hot path would have to write; the time order comes after (a recipient has few rows).
        builder.HasIndex(e => e.CreatedAt);
        builder.HasIndex(e => new { e.AppId, e.CreatedAt });
        builder.HasIndex(e => new { e.Status, e.UpdatedAt });
        builder.HasIndex(e => new { e.Status, e.CreatedAt });
        builder.HasIndex(e => new { e.FailureCode, e.CreatedAt }).HasFilter("failure_code IS NOT NULL");
        builder.HasIndex(e => e.ToAddresses).HasMethod("gin");
        builder.HasIndex(e => e.CorrelationId);
        builder.HasMany(e => e.SendAttempts).WithOne().HasForeignKey(a => a.EmailId).OnDelete(DeleteBehavior.Cascade);
    }
}
