using Microsoft.Extensions.Hosting;
using SesWorker.Worker.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.AddSesWorker();
await builder.Build().RunAsync();
