using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace SesWorker.Cli.Commands;

/// <summary>Read-only views over the send history: what people query when a customer asks "did my mail go out?".</summary>
internal static class HistoryCommand
{
    public static async Task<int> RunAsync(IConfiguration configuration, CliArguments args, CancellationToken cancellationToken)
    {
        await using var db = Connections.Database(configuration);
        var query = db.EmailMessages.AsNoTracking();
        if (args.Get("status") is { } status)
            query = query.Where(e => e.Status == status);
        if (args.Get("app-id") is { } appId)
            query = query.Where(e => e.AppId == appId);
        var rows = await query.OrderByDescending(e => e.CreatedAt).Take(args.GetInt("limit", 20)).ToListAsync(cancellationToken);

        Console.WriteLine($"{"created (UTC)",-20} {"email id",-36} {"appId",-10} {"status",-13} {"att",3} {"code",-38} to / subject");
        foreach (var e in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{e.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} {e.EmailId} {e.AppId,-10} {e.Status,-13} {e.Attempts,3} {e.FailureCode ?? "-",-38} {string.Join(',', e.ToAddresses)} / {e.Subject}"));
        }

        return 0;
    }

    public static async Task<int> ShowAsync(IConfiguration configuration, CliArguments args, CancellationToken cancellationToken)
    {
        if (args.Positional.Count == 0 || !Guid.TryParse(args.Positional[0], out var emailId))
            throw new CliException("usage: sesworker show EMAIL_ID");
        await using var db = Connections.Database(configuration);
        var email = await db.EmailMessages.AsNoTracking().Include(e => e.SendAttempts)
            .SingleOrDefaultAsync(e => e.EmailId == emailId, cancellationToken);
        if (email is null)
            throw new CliException($"no email {emailId}");

        Console.WriteLine($"email {email.EmailId}  appId {email.AppId}  status {email.Status}  attempts {email.Attempts}");
        Console.WriteLine($"  from {email.FromAddress}  to {string.Join(", ", email.ToAddresses)}");
        Console.WriteLine($"  subject {email.Subject}");
        Console.WriteLine($"  message-id {email.MessageId}  size {email.SizeBytes} bytes  sha256 {email.Sha256}");
        Console.WriteLine($"  code {email.FailureCode ?? "-"}  {email.FailureMessage}");
        Console.WriteLine($"  smtp {email.SmtpReply ?? "-"}  request-id {email.ProviderRequestId ?? "-"}");
        Console.WriteLine($"  created {email.CreatedAt:O}  sent {email.SentAt?.ToString("O", CultureInfo.InvariantCulture) ?? "-"}  completed {email.CompletedAt?.ToString("O", CultureInfo.InvariantCulture) ?? "-"}");
        foreach (var a in email.SendAttempts.OrderBy(a => a.AttemptNumber))
            Console.WriteLine($"  attempt {a.AttemptNumber} by {a.WorkerId} {a.StartedAt:HH:mm:ss.fff}-{a.EndedAt:HH:mm:ss.fff} {a.Outcome} {a.SmtpStatus} {a.ProviderCode} {a.RequestId} {a.ProviderMessage}");
        return 0;
    }

    public static async Task<int> StatsAsync(IConfiguration configuration, CliArguments args, CancellationToken cancellationToken)
    {
        await using var db = Connections.Database(configuration);
        var since = DateTimeOffset.UtcNow.AddMinutes(-args.GetInt("since-minutes", 60));
        var rows = await db.EmailMessages.AsNoTracking().Where(e => e.CreatedAt >= since)
            .GroupBy(e => new { e.Status, e.FailureCode })
            .Select(g => new { g.Key.Status, g.Key.FailureCode, Count = g.Count() })
            .OrderByDescending(r => r.Count).ToListAsync(cancellationToken);
        Console.WriteLine($"since {since:O}");
        foreach (var r in rows)
            Console.WriteLine($"{r.Count,8}  {r.Status,-13} {r.FailureCode ?? "-"}");
        return 0;
    }
}
