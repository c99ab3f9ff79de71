namespace SesWorker.Messaging;

/// <summary>Configuration keys under which the worker takes its queue names; tools read the same ones.</summary>
public static class ConfigurationKeys
{
    public const string QueueName = "Worker:QueueName";
    public const string OversizeQueue = "Worker:DeadLetter:OversizeQueue";
    public const string RateLimitedQueue = "Worker:DeadLetter:RateLimitedQueue";
    public const string RateLimitedParkedQueue = "Worker:DeadLetter:RateLimitedParkedQueue";
    /// <summary>The worker's accounts (each with its <c>AppId</c>): the appIds whose lanes the worker declares.</summary>
    public const string Accounts = "Ses:Accounts";
    public const string RabbitMqConnectionString = "RabbitMq";
    public const string PostgresConnectionString = "Postgres";
}
