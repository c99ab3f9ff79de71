namespace SesWorker.SmtpSimulator.Counting;

/// <summary>Where in a transaction the simulator records a call for <see cref="ProviderCounts"/>.</summary>
public enum CountPoint
{
    /// <summary>A MAIL FROM answered 250: the start of a transaction.</summary>
    MailFrom,

    /// <summary>The end of DATA, whatever the verdict (refused calls count too, as the rate rule counts them).</summary>
    EndOfData,
}
