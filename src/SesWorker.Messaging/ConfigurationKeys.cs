namespace SesWorker.Messaging;

/// <summary>Configuration keys under which the worker takes its queue names; tools read the same ones.</summary>
public static class ConfigurationKeys
{
    public const string QueueName = "Worker:QueueName";
    public const string OversizeQueue = "Worker:DeadLetter:OversizeQueue";
    public const string RateLimitedQueue = "Worker:DeadLetter:RateLimitedQueue";
    public const string RateLimitedParkedQueue = "Worker:DeadLetter:RateLimitedParkedQueue";
    public const string RabbitMqConnectionString = "RabbitMq";
    public const string PostgresConnectionString = "Postgres";
}
