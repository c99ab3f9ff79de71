using System.Net.Security;
using System.Security.Authentication;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using SesWorker.Contracts;
using SesWorker.Core.Mime;
using SesWorker.Core.Sending;
using SesWorker.Persistence.History;
using SesWorker.Worker.Accounts;
using SesWorker.Worker.DeadLettering;
using SesWorker.Worker.Limiting;
using SesWorker.Worker.Observability;
using SesWorker.Persistence.Limiting;
using SesWorker.Persistence.Workers;
using SesWorker.Worker.Memory;
using SesWorker.Worker.Sending;
using SesWorker.Worker.Smtp;
using SesWorker.Messaging;

namespace SesWorker.Worker.Hosting;

public static class SesWorkerHostExtensions
{
    /// <summary>Everything the worker process runs. Program.cs and the integration tests both call this.</summary>
    public static IHostApplicationBuilder AddSesWorker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var configuration = builder.Configuration;

        services.TryAddTimeProvider();
        services.AddMetrics();
        services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SmtpOptions>().BindConfiguration(SmtpOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SesLimits>().BindConfiguration(SesLimits.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DeadLetterOptions>().BindConfiguration(DeadLetterOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RateLimitingOptions>().BindConfiguration(RateLimitingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SesOptions>().BindConfiguration(SesOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SesOptions>, SesOptionsValidator>();
        services.AddSingleton<IValidateOptions<RateLimitingOptions>, RateLimitingOptionsValidator>();

        var postgres = Required(configuration, "Postgres");
        services.AddSingleton(sp => CreateDataSource(postgres, sp.GetRequiredService<IOptions<WorkerOptions>>().Value.MaxConcurrentSends));
        services.AddSingleton(new RabbitMqConnection(Required(configuration, "RabbitMq")));

        services.AddSingleton<EmailStore>();
        services.AddSingleton(sp => new SendEmailValidator(sp.GetRequiredService<IOptions<SesLimits>>().Value));
        services.AddSingleton<MimeComposer>();
        services.AddSingleton<AccountRegistry>();
        services.AddSingleton<SmtpConnectionPool>();
        services.AddSingleton<TransactionDeadline>();
        services.AddSingleton<SmtpSender>();
        services.AddSingleton<DeadLetterRouter>();
        services.AddSingleton<PostgresRateLimiter>();
        services.AddSingleton<RecipientCapStore>();
        services.AddSingleton<SendMetrics>();
        services.AddSingleton<SendThrottle>();
        services.AddSingleton<InFlightEmails>();
        services.AddSingleton<WorkerHeartbeats>();
        // One id per start, read by every component of the process (WorkerIdentity).
        services.AddSingleton(WorkerIdentity.Resolve);
        // Beats gone through without a gap (two intervals at most) for TakeoverAfter, before taking a silent owner's claims.
        services.AddSingleton(sp => new HeartbeatRun(
            sp.GetRequiredService<TimeProvider>(), 2 * sp.GetRequiredService<IOptions<WorkerOptions>>().Value.HeartbeatInterval));
        services.AddSingleton(sp => new SendPolicy(sp.GetRequiredService<IOptions<WorkerOptions>>().Value.PolicyOptions()));
        services.AddSingleton<OutcomeRecorder>();
        services.AddSingleton<EmailSendHandler>();
        services.AddSingleton<SendLanes>();
        services.AddSingleton<LaneForwarder>();
        services.AddSingleton(sp => new SendGate(sp.GetRequiredService<IOptions<WorkerOptions>>().Value.ConcurrentSendsRange.Floor));
        services.AddHostedService<GateSizer>();
        services.AddSingleton(sp => new ByteBudget(sp.GetRequiredService<IOptions<WorkerOptions>>().Value.InFlightBytes));
        services.AddHostedService<WarmUp>();
        services.AddHostedService<MetricsSummary>();
        services.AddHostedService<DeadLetterTopology>();
        // Before the bus: the first beat is written before anything is consumed, and removed after the bus stopped.
        services.AddHostedService<WorkerHeartbeat>();

        services.AddMassTransit(bus =>
        {
            // MassTransit 8.4+ reports the bus's configuration to usage-tracking.masstransit.io a while after it starts
            // (workers logged "Failed to report usage telemetry" where there is no way out). A worker sends nothing
            // anywhere but to its broker, its database and its provider.
            bus.DisableUsageTelemetry();
            bus.AddConsumer<SendEmailConsumer>();
            bus.AddConsumer<LaneConsumer>();
            bus.UsingRabbitMq((context, cfg) =>
            {
                var rabbit = context.GetRequiredService<RabbitMqConnection>();
                var worker = context.GetRequiredService<IOptions<WorkerOptions>>().Value;
                cfg.Host(rabbit.Host, (ushort)rabbit.Port, rabbit.VirtualHost, h =>
                {
                    h.Username(rabbit.Username);
                    h.Password(rabbit.Password);
                    h.PublisherConfirmation = true;
                    if (rabbit.UseTls)
                        h.UseSsl(ssl => ConfigureBrokerTls(ssl, rabbit));
                });

                cfg.ReceiveEndpoint(worker.QueueName, endpoint =>
                {
                    endpoint.SetQuorumQueue();
                    // Any body can arrive here, and RabbitMQ delivers whole bodies up to the prefetch count whether or not
                    // the budget has room: prefetch no more than the intake works on at once (README, Memory).
                    endpoint.PrefetchCount = worker.IntakeConcurrency;
                    endpoint.ConcurrentMessageLimit = worker.IntakeConcurrency;
                    // The intake reads every body itself, MassTransit envelopes and broken JSON included (SendEmailReader):
                    // one deserializer for every content type hands IncomingSendEmail to the consumer. What it sends on
                    // (to the lanes, the delay queues, the events) stays a MassTransit envelope.
                    endpoint.ClearSerialization();
                    endpoint.AddDeserializer(new IntakeDeserializer.Factory(), isDefault: true);
                    endpoint.AddSerializer(new MassTransit.Configuration.SystemTextJsonMessageSerializerFactory(), isSerializer: true);
                    ConfigureRetry(endpoint);
                    ReturnLargeBuffersOnOneThread(endpoint);
                    // Services that publish SendEmail with MassTransit reach it through the SendEmail exchange, everyone
                    // else through send-email's own.
                    endpoint.ConfigureConsumeTopology = false;
                    endpoint.Bind<SendEmail>();
                    endpoint.ConfigureConsumer<SendEmailConsumer>(context);
                });

                var lanes = context.GetRequiredService<SendLanes>();
                // Small bodies only (at most LaneMaxBodyBytes each): appIds x LaneConcurrency of them at most.
                foreach (var lane in lanes.All)
                    ConfigureLane(cfg, context, lane.Queue, worker.LaneConcurrency);
                // Large bodies are sent by the intake; what an older version forwarded to the large lane still goes,
                // one at a time.
                if (lanes.All.Count > 0)
                    ConfigureLane(cfg, context, lanes.Large.Queue, 1);
                // Copies of emails another worker holds, waiting for the claim ahead of every backlog: a dead worker's
                // emails, all at once, so as many as a worker sends at once. Their bodies are what that worker had in
                // flight: at most IntakeConcurrency large ones (the intake sends those itself) and the large lane's one,
                // the rest at most LaneMaxBodyBytes. (At the intake's 4, 32 orphans took their turns four at a time,
                // each waiting for a slot behind its appId's backlog: 12-13 s.)
                ConfigureLane(cfg, context, QueueNames.HeldQueue(worker.QueueName), worker.MaxConcurrentSends);
            });
        });
        services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            o.WaitUntilStarted = true;
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });
        builder.AddSesWorkerObservability();

        return builder;
    }

    private static void ConfigureLane(IRabbitMqBusFactoryConfigurator cfg, IBusRegistrationContext context, string queue, int concurrency)
    {
        cfg.ReceiveEndpoint(queue, endpoint =>
        {
            endpoint.SetQuorumQueue();
            // Only the intake forwards here: producers publish to send-email, never to a lane.
            endpoint.ConfigureConsumeTopology = false;
            // Prefetch no more than is worked on: a delivered body is in memory whether or not a consumer has it.
            endpoint.PrefetchCount = concurrency;
            endpoint.ConcurrentMessageLimit = concurrency;
            // The intake forwards the producer's own bytes; the consumer reads them (SendEmailReader), nothing else does.
            endpoint.ClearSerialization();
            endpoint.AddDeserializer(new IntakeDeserializer.Factory(), isDefault: true);
            endpoint.AddSerializer(new MassTransit.Configuration.SystemTextJsonMessageSerializerFactory(), isSerializer: true);
            ConfigureRetry(endpoint);
            // The held queue and the large lane can deliver large bodies too.
            ReturnLargeBuffersOnOneThread(endpoint);
            // A delivered message waits for its send turn before MassTransit reads it (README, Memory).
            endpoint.ConfigureReceive(receive => receive.UseFilter(new GateTurnFilter(context.GetRequiredService<SendGate>())));
            endpoint.ConfigureConsumer<LaneConsumer>(context);
        });
    }

    /// <summary>
    /// TLS to the broker checked as RabbitMQ.Client checks it for the worker's other connections (the lane forwarder, the
    /// tool): the chain, the host name, a certificate at all. MassTransit's own default accepts a certificate whose chain
    /// does not verify (a self-signed one, anyone's), and the bus would hand the broker's password to it.
    /// </summary>
    internal static void ConfigureBrokerTls(IRabbitMqSslConfigurator ssl, RabbitMqConnection rabbit)
    {
        ssl.ServerName = rabbit.Host;
        ssl.Protocol = SslProtocols.Tls12 | SslProtocols.Tls13;
        ssl.EnforcePolicyErrors(SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch
            | SslPolicyErrors.RemoteCertificateNotAvailable);
    }

    /// <summary>Large messages end on one thread, where RabbitMQ's client returns their buffers (README, Memory).</summary>
    private static void ReturnLargeBuffersOnOneThread(IRabbitMqReceiveEndpointConfigurator endpoint) =>
        endpoint.ConfigureReceive(receive => receive.UseFilter(new BufferReturnFilter()));

    private static void ConfigureRetry(IRabbitMqReceiveEndpointConfigurator endpoint)
    {
        endpoint.UseMessageRetry(retry =>
        {
            // Infrastructure faults only: provider failures never throw, and nothing waits here for another worker
            // or a backoff (those go round a delay queue). While PostgreSQL is away (no slot, no send: fail closed)
            // the message is held and retried every few seconds for about an hour, so sending resumes within
            // seconds of its return; after that it lands in send-email_error with the reason, never lost.
            retry.Ignore<InvalidEmailIdException>();
            // Sent, and its outcome refused by the database: running the consumer again would send again. Ignored by
            // its own type, because MassTransit matches Handle<T> against the innermost exception too (a PostgresException).
            retry.Ignore<OutcomeNotRecordedException>();
            // PostgreSQL away or not answering; a statement it refuses (a defect, a value it cannot store) is not
            // retried for an hour holding a consumer's place: it faults into the error queue with its reason at once.
            retry.Handle<NpgsqlException>(DatabaseOutage.IsOutage);
            retry.Handle<TimeoutException>();
            retry.Handle<RateLimitBacklogException>();
            // The intake could not move a body to its lane: held and tried again, not faulted with no history row.
            retry.Handle<LaneForwardException>();
            // A large body that found no room under the container's memory limit (the GC's hard limit) gets it once
            // the messages ahead of it settle: held and retried like an outage, not faulted into the error queue with
            // no history row (the memory benchmark at a 384 MiB container's limit faulted one such of 260 before).
            // MassTransit wraps one met while it serializes a deferral (the SendEmail with its attachments as text).
            retry.Handle<Exception>(e => e is OutOfMemoryException || e.InnerException is OutOfMemoryException);
            retry.Exponential(1200, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(500));
        });
    }

    private static NpgsqlDataSource CreateDataSource(string connectionString, int maxConcurrentSends)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        Configure(builder.ConnectionStringBuilder, maxConcurrentSends);
        return builder.Build();
    }

    /// <summary>
    /// The turns the database pool is sized for (+ 8): at 128 turns and 100 ms ± 30 ms per reply one worker made 199
    /// sends/s with this pool (187 with one connection per turn): its statements need a few connections at a time, not
    /// one per turn (README, Isolation between appIds).
    /// </summary>
    internal const int PoolTurns = 32;

    /// <summary>The worker's defaults for its connections, where the connection string does not set them.</summary>
    internal static void Configure(NpgsqlConnectionStringBuilder connectionString, int maxConcurrentSends)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        // A send uses one connection at a time, and only in its turn (SendGate), for a few short statements: most of a
        // turn is the provider's replies. So the pool follows the turns up to PoolTurns and adds a few more (heartbeat,
        // the intake's refusals), not Npgsql's 100, and not one per turn: replicas at 100 each, or at 128 turns each,
        // open more than PostgreSQL allows (53300: too many clients, seen in the fairness benchmark with 128 turns and
        // the pool at turns + 8). A send finding the pool busy waits for a connection in its turn. An explicit Maximum
        // Pool Size wins.
        if (!SetsMaxPoolSize(connectionString))
            connectionString.MaxPoolSize = Math.Min(maxConcurrentSends, PoolTurns) + 8;
        // The hot path runs the same few statements for every message: prepared once per connection, PostgreSQL
        // stops parsing and planning them each time. An explicit setting in the connection string wins.
        if (connectionString.MaxAutoPrepare == 0)
        {
            connectionString.MaxAutoPrepare = 32;
            connectionString.AutoPrepareMinUsages = 2;
        }

        // The worker keeps no session state (no SET, temporary tables, advisory locks or LISTEN): a pooled connection
        // needs no reset when it comes back. Npgsql's reset (with prepared statements kept: six statements, sent ahead of
        // the connection's next command) was three quarters of the statements PostgreSQL ran per send (22,671 resets for
        // 7,000 sends, pg_stat_statements, throughput benchmark). An explicit setting in the connection string wins.
        if (!Sets(connectionString, "No Reset On Close"))
            connectionString.NoResetOnClose = true;
    }

    /// <summary>
    /// Whether the connection string sets the pool's size. Npgsql's parser lists only the keys given (under their
    /// canonical name, whatever synonym was used), and knows quoting; its <c>ContainsKey</c> is true for any key it knows.
    /// </summary>
    internal static bool SetsMaxPoolSize(NpgsqlConnectionStringBuilder connectionString) => Sets(connectionString, "Maximum Pool Size");

    private static bool Sets(NpgsqlConnectionStringBuilder connectionString, string canonicalKey) =>
        connectionString.Keys.Cast<string>().Contains(canonicalKey, StringComparer.OrdinalIgnoreCase);

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (services.All(d => d.ServiceType != typeof(TimeProvider)))
            services.AddSingleton(TimeProvider.System);
    }

    private static string Required(IConfiguration configuration, string name) =>
        configuration.GetConnectionString(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"ConnectionStrings:{name} is not set (environment variable ConnectionStrings__{name}).");
}
