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
        builder.HasIndex(e => new { e.AppId, e.CreatedAt });
        builder.HasIndex(e => new { e.Status, e.UpdatedAt });
        builder.HasIndex(e => e.CorrelationId);
        builder.HasMany(e => e.SendAttempts).WithOne().HasForeignKey(a => a.EmailId).OnDelete(DeleteBehavior.Cascade);
    }
}
