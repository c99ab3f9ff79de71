using System.Net;
using System.Text.Json;
using MassTransit;
using MassTransit.Monitoring;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using SesWorker.Worker.Limiting;

namespace SesWorker.Worker.Observability;

public static class ObservabilityExtensions
{
    internal const string ReadyTag = "ready";

    /// <summary>Health checks, OpenTelemetry metrics, the log format and the stop bound. Works on any host; the
    /// endpoints need <see cref="MapSesWorkerEndpoints"/> on a web host.</summary>
    public static IHostApplicationBuilder AddSesWorkerObservability(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<ObservabilityOptions>().BindConfiguration(ObservabilityOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        var options = builder.Configuration.GetSection(ObservabilityOptions.SectionName).Get<ObservabilityOptions>() ?? new ObservabilityOptions();
        if (options.JsonLogs)
        {
            builder.Logging.AddJsonConsole(json =>
            {
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }

        // The host waits this long for every hosted service to stop; MassTransit gets most of it to let in-flight
        // sends finish, and the rest is for closing SMTP connections (QUIT) and the broker connection. Sends still
        // running at 80% of MassTransit's share have their consume token cancelled: a send waiting for its slot gives
        // its message back (unacknowledged, so another replica takes it), and MassTransit has the rest to settle.
        // Without ConsumerStopTimeout nothing cancels them: the bus's stop only stops waiting for them.
        services.AddOptions<HostOptions>().Configure<IOptions<ObservabilityOptions>>((host, o) => host.ShutdownTimeout = o.Value.ShutdownTimeout);
        services.AddOptions<MassTransitHostOptions>().PostConfigure<IOptions<ObservabilityOptions>>((mt, o) =>
        {
            mt.StopTimeout = o.Value.ShutdownTimeout - TimeSpan.FromSeconds(Math.Min(5, o.Value.ShutdownTimeout.TotalSeconds / 4));
            mt.ConsumerStopTimeout = mt.StopTimeout * 0.8;
        });

        // MassTransit registers its own bus check (tagged "ready"): connected to the broker, endpoints consuming.
        services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>("postgres", tags: [ReadyTag], timeout: TimeSpan.FromSeconds(3))
            .AddCheck<AccountsHealthCheck>("accounts", tags: [ReadyTag]);

        services.AddSingleton<OutcomeMetrics>();
        services.AddPublishObserver(sp => sp.GetRequiredService<OutcomeMetrics>());
        services.AddSingleton<WorkerGauges>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkerGauges>());
        services.AddHostedService<MailKitTelemetry>();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("sesworker-worker", serviceInstanceId: Environment.MachineName))
            .WithMetrics(metrics => metrics
            .AddMeter(SendMetrics.MeterName)
            .AddMeter(InstrumentationOptions.MeterName)
            .AddMeter(MailKit.Telemetry.SmtpClient.MeterName)
            .AddPrometheusExporter());
        return builder;
    }

    /// <summary>Kestrel on <c>Observability:HttpPort</c> (every interface), or an ephemeral loopback port when unset.</summary>
    public static WebApplicationBuilder AddSesWorkerHttpListener(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var port = builder.Configuration.GetSection(ObservabilityOptions.SectionName).Get<ObservabilityOptions>()?.HttpPort;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (port is { } p)
                kestrel.ListenAnyIP(p);
            else
                kestrel.Listen(IPAddress.Loopback, 0);
        });
        return builder;
    }

    /// <summary>
    /// The worker process's hard bound on its stop, disposal included (<see cref="StopBound"/>). Only for a process
    /// that is a worker: an in-process host (a test) must never end the process it shares.
    /// </summary>
    public static WebApplicationBuilder AddSesWorkerStopBound(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHostedService<StopBound>();
        return builder;
    }

    /// <summary><c>/health/live</c> (the process answers), <c>/health/ready</c> (bus, PostgreSQL, accounts) and <c>/metrics</c>.</summary>
    public static WebApplication MapSesWorkerEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Liveness runs no check: a broker or database outage must not get the pod restarted, only taken out of rotation.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            // MassTransit reports a bus that is reconnecting as Degraded: not ready either.
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = WriteReport,
        });
        app.MapPrometheusScrapingEndpoint();
        return app;
    }

    private static Task WriteReport(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, cancellationToken: context.RequestAborted);
    }
}
