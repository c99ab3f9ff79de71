using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SesWorker.SmtpSimulator.Hosting;

if (!SimulatorCommandLine.TryParse(args, out var commandLine, out var error))
{
    await Console.Error.WriteLineAsync(error);
    await Console.Error.WriteLineAsync(SimulatorCommandLine.Usage);
    return 2;
}

// No args for the builder: the simulator's switches are not configuration keys.
var builder = Host.CreateApplicationBuilder();
builder.Services.AddHostedService(services => new SimulatorHostedService(commandLine, services.GetRequiredService<ILoggerFactory>()));
await builder.Build().RunAsync();
return 0;
