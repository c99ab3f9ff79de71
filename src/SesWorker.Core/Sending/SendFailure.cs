namespace SesWorker.Core.Sending;

/// <summary>A failure as a value: the code (the provider's own where there is one), a message and its class.</summary>
public sealed record SendFailure(string Code, string Message, FailureClass Class)
{
    public static SendFailure Of(string code, string message) => new(code, message, FailureClassifier.Classify(code));
}
