# The worker, the SMTP simulator and the one-shot migrator, built from one build stage:
#   docker build --target worker    -t sesworker/worker .
#   docker build --target simulator -t sesworker/simulator .
#   docker build --target migrator  -t sesworker/migrator .
# docker-compose.yml builds all three. Only classic Dockerfile instructions (no BuildKit syntax), so Debian's
# docker 20.10 builder and a current one build it alike. Tags are pinned to the SDK and runtime this
# repository is tested with (global.json names the SDK band).
ARG DOTNET_SDK_TAG=10.0.401
ARG DOTNET_RUNTIME_TAG=10.0.12

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_SDK_TAG} AS build
WORKDIR /src
# Restore from the project files alone, so a change of source reuses the restored layer.
COPY Directory.Build.props Directory.Packages.props global.json ./
COPY src/SesWorker.Contracts/SesWorker.Contracts.csproj src/SesWorker.Contracts/
COPY src/SesWorker.Core/SesWorker.Core.csproj src/SesWorker.Core/
COPY src/SesWorker.Persistence/SesWorker.Persistence.csproj src/SesWorker.Persistence/
COPY src/SesWorker.Worker/SesWorker.Worker.csproj src/SesWorker.Worker/
COPY src/SesWorker.Messaging/SesWorker.Messaging.csproj src/SesWorker.Messaging/
COPY src/SesWorker.Client/SesWorker.Client.csproj src/SesWorker.Client/
COPY src/SesWorker.Cli/SesWorker.Cli.csproj src/SesWorker.Cli/
COPY src/SesWorker.SmtpSimulator/SesWorker.SmtpSimulator.csproj src/SesWorker.SmtpSimulator/SimulatorHost.props src/SesWorker.SmtpSimulator/
COPY migrations/SesWorker.Migrations/SesWorker.Migrations.csproj migrations/SesWorker.Migrations/
RUN dotnet restore src/SesWorker.Worker/SesWorker.Worker.csproj \
 && dotnet restore src/SesWorker.Cli/SesWorker.Cli.csproj \
 && dotnet restore src/SesWorker.SmtpSimulator/SesWorker.SmtpSimulator.csproj
COPY src/ src/
COPY migrations/ migrations/
# UseAppHost=false: the images start `dotnet X.dll`; no native launcher to ship.
RUN dotnet publish src/SesWorker.Worker/SesWorker.Worker.csproj -c Release --no-restore -p:UseAppHost=false -o /out/worker \
 && dotnet publish src/SesWorker.Cli/SesWorker.Cli.csproj -c Release --no-restore -p:UseAppHost=false -o /out/migrator \
 && dotnet publish src/SesWorker.SmtpSimulator/SesWorker.SmtpSimulator.csproj -c Release --no-restore -p:UseAppHost=false -o /out/simulator

# The SMTP simulator: implicit TLS with its own certificate, written as PEM to the volume the workers pin it from.
FROM mcr.microsoft.com/dotnet/runtime:${DOTNET_RUNTIME_TAG} AS simulator
WORKDIR /app
COPY --from=build /out/simulator .
RUN mkdir -p /var/lib/simulator/mail /var/lib/simulator/cert && chown -R 1654:1654 /var/lib/simulator
USER 1654
EXPOSE 2465
# Up once it has written its certificate (it writes it after binding the port).
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=5 CMD ["bash", "-c", "test -s /var/lib/simulator/cert/simulator.pem && exec 3<>/dev/tcp/127.0.0.1/2465"]
ENTRYPOINT ["dotnet", "SesWorker.SmtpSimulator.dll"]
CMD ["--host", "0.0.0.0", "--port", "2465", "--certificate-out", "/var/lib/simulator/cert/simulator.pem", "--record-dir", "/var/lib/simulator/mail"]

# One-shot: applies the EF Core migrations (the CLI's `migrate`) and exits. Needs ConnectionStrings__Postgres.
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_RUNTIME_TAG} AS migrator
WORKDIR /app
COPY --from=build /out/migrator .
USER 1654
ENTRYPOINT ["dotnet", "SesWorker.Cli.dll"]
CMD ["migrate"]

# The worker. Port 8080: /health/live, /health/ready, /metrics.
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_RUNTIME_TAG} AS worker
WORKDIR /app
COPY --from=build /out/worker .
ENV Observability__HttpPort=8080
USER 1654
EXPOSE 8080
# bash's /dev/tcp: the runtime images ship no curl or wget, and this costs no process start of .NET.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /health/ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "SesWorker.Worker.dll"]
