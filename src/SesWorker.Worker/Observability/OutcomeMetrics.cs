using System.Diagnostics.Metrics;
using MassTransit;
using SesWorker.Contracts;
using SesWorker.Worker.Accounts;
using SesWorker.Worker.Limiting;
using SesWorker.Worker.Sending;

namespace SesWorker.Worker.Observability;

/// <summary>
/// Counts every outcome by appId, status and code from the events the consumer publishes after recording it
/// (<see cref="EmailSent"/>, <see cref="EmailSendFailed"/>), so the numbers are the ones in the database and the send
/// path carries no metrics code of its own for them.
/// </summary>
internal sealed class OutcomeMetrics : IPublishObserver
{
    /// <summary>appIds come from producers: any the worker has no account for share one label, so a bad producer cannot
    /// grow the series without bound.</summary>
    internal const string UnknownAppId = "unknown-app";

    private readonly Counter<long> _outcomes;
    private readonly AccountRegistry _accounts;

    public OutcomeMetrics(IMeterFactory meterFactory, AccountRegistry accounts)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _accounts = accounts;
        // The factory owns the meter (one per name, shared with SendMetrics) and disposes it with the host.
        _outcomes = meterFactory.Create(SendMetrics.MeterName).CreateCounter<long>("sesworker.outcomes",
            description: "Emails recorded with an outcome, by app_id, status (sent, failed, dead_lettered, ...) and code (the SMTP reply code for sent, else the provider's or the worker's code).");
    }

    public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    public Task PostPublish<T>(PublishContext<T> context) where T : class
    {
        // An event published again for a copy of a finished email: its outcome was counted the first time.
        if (context.Headers.Get<bool>(OutcomeRecorder.RepublishedHeader) == true)
            return Task.CompletedTask;
        switch (context.Message)
        {
            case EmailSent sent:
                Record(sent.AppId, "sent", sent.SmtpReply.Length >= 3 ? sent.SmtpReply[..3] : sent.SmtpReply);
                break;
            case EmailSendFailed failed:
                Record(failed.AppId, failed.Status, failed.Code);
                break;
        }

        return Task.CompletedTask;
    }

    public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;

    private void Record(string? appId, string status, string code) =>
        _outcomes.Add(1,
            new KeyValuePair<string, object?>("app_id", appId is not null && _accounts.HasAccount(appId) ? appId : UnknownAppId),
            new KeyValuePair<string, object?>("status", status),
            new KeyValuePair<string, object?>("code", code));
}
