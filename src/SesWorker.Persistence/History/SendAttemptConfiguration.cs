using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SesWorker.Persistence.History;

internal sealed class SendAttemptConfiguration : IEntityTypeConfiguration<SendAttempt>
{
    public void Configure(EntityTypeBuilder<SendAttempt> builder)
    {
        builder.ToTable("send_attempts");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Outcome).HasMaxLength(16);
        builder.Property(a => a.ProviderCode).HasMaxLength(128);
        builder.Property(a => a.WorkerId).HasMaxLength(128);
        builder.HasIndex(a => new { a.EmailId, a.AttemptNumber }).IsUnique();
        builder.HasIndex(a => new { a.ProviderCode, a.StartedAt });
    }
}
