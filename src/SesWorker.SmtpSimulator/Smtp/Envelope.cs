namespace SesWorker.SmtpSimulator.Smtp;

/// <summary>What one MAIL transaction carried besides its data.</summary>
internal sealed record Envelope(string ConnectionId, SimulatorAccount? Account, string? MailFrom, IReadOnlyList<string> RcptTo);
