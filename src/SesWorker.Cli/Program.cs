using SesWorker.Cli;

return await CliApp.RunAsync(args);
