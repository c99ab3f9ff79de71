namespace SesWorker.IntegrationTests.Infrastructure;

[CollectionDefinition(Name)]
public sealed class ServiceBackedTests : ICollectionFixture<SesWorkerFixture>
{
    public const string Name = "services";
}
