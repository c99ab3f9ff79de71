using Microsoft.AspNetCore.Builder;
using SesWorker.Worker.Hosting;
using SesWorker.Worker.Observability;

// A web host only for the small listener of health and metrics; the work is the bus consumer.
var builder = WebApplication.CreateSlimBuilder(args);
builder.AddSesWorker();
builder.AddSesWorkerHttpListener();
builder.AddSesWorkerStopBound();
var app = builder.Build();
app.MapSesWorkerEndpoints();
await app.RunAsync();
