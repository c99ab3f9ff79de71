using SesWorker.Worker.Accounts;

namespace SesWorker.Tests.Accounts;

public sealed class SesOptionsValidatorTests
{
    private static readonly SesOptionsValidator Validator = new();

    [Fact]
    public void Empty_configuration_fails_with_a_message_naming_the_section()
    {
        var result = Validator.Validate(null, new SesOptions());

        Assert.True(result.Failed);
        Assert.Contains("Ses:Accounts", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_listed_at_once()
    {
        var options = new SesOptions
        {
            Accounts =
            [
                new SesAccountOptions { AppId = "1", Region = SesRegion.HongKong, Host = "also.example", Senders = [new SesSenderOptions { Address = "a@example.com" }] },
                new SesAccountOptions { AppId = "1", Region = SesRegion.Guangzhou, Senders = [new SesSenderOptions { Address = "b@example.com", PasswordFile = "/nonexistent/secret" }] },
            ],
        };

        var result = Validator.Validate(null, options);

        Assert.True(result.Failed);
        var message = result.FailureMessage;
        Assert.Contains("exactly one of Region", message, StringComparison.Ordinal);
        Assert.Contains("exactly one of PasswordFile or PasswordEnvironmentVariable", message, StringComparison.Ordinal);
        Assert.Contains("does not exist", message, StringComparison.Ordinal);
        Assert.Contains("AppId 1 is configured more than once", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_region_resolves_to_the_providers_host_and_a_password_variable_is_accepted()
    {
        Environment.SetEnvironmentVariable("SESWORKER_TEST_SECRET", "s3cret");
        var account = new SesAccountOptions
        {
            AppId = "1",
            Region = SesRegion.International,
            Senders = [new SesSenderOptions { Address = "a@example.com", PasswordEnvironmentVariable = "SESWORKER_TEST_SECRET" }],
        };

        var result = Validator.Validate(null, new SesOptions { Accounts = [account] });

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal("sg-smtp.qcloudmail.com", account.ResolveHost());
        Assert.Equal(465, account.Port);
    }

    [Theory]
    [InlineData("PasswordFile", "hunter2-Secret!")]
    [InlineData("PasswordEnvironmentVariable", "hunter2-Secret!")]
    // A password of letters and digits has a variable's shape, and no such variable is set.
    [InlineData("PasswordEnvironmentVariable", "Hunter2Secret")]
    [InlineData("PasswordFile", "Hunter2Secret")]
    public void A_password_put_in_the_key_for_its_file_or_variable_is_not_repeated_in_the_error(string key, string password)
    {
        var sender = key == "PasswordFile"
            ? new SesSenderOptions { Address = "a@example.com", PasswordFile = password }
            : new SesSenderOptions { Address = "a@example.com", PasswordEnvironmentVariable = password };
        var account = new SesAccountOptions { AppId = "1", Region = SesRegion.International, Senders = [sender] };

        var result = Validator.Validate(null, new SesOptions { Accounts = [account] });

        Assert.True(result.Failed);
        Assert.DoesNotContain(password, result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_password_file_that_cannot_be_opened_for_reading_fails_validation_and_names_this_process()
    {
        // A directory stands in for a file of another owner with mode 0600: the tests run as root, who reads any file,
        // and opening either fails the same way (UnauthorizedAccessException) on the same path through the validator.
        // Before, File.Exists was the only check: a directory was reported as missing, and an unreadable file passed
        // and the worker died in AccountRegistry's constructor.
        var directory = Directory.CreateTempSubdirectory("sesworker-secret-");
        try
        {
            var account = new SesAccountOptions
            {
                AppId = "1",
                Region = SesRegion.International,
                Senders = [new SesSenderOptions { Address = "a@example.com", PasswordFile = directory.FullName }],
            };

            var result = Validator.Validate(null, new SesOptions { Accounts = [account] });

            Assert.True(result.Failed);
            Assert.Contains($"PasswordFile '{directory.FullName}' is not readable by this process (uid ", result.FailureMessage, StringComparison.Ordinal);
            Assert.Contains("directory", result.FailureMessage, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete();
        }
    }

    [Fact]
    public void A_readable_password_file_passes_and_its_content_is_never_in_an_error()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "hunter2-Secret!\n");
            var good = new SesSenderOptions { Address = "a@example.com", PasswordFile = file };
            var missing = new SesSenderOptions { Address = "b@example.com", PasswordFile = file + ".missing" };

            Assert.True(Validator.Validate(null, new SesOptions { Accounts = [Account(good)] }).Succeeded);
            var result = Validator.Validate(null, new SesOptions { Accounts = [Account(good, missing)] });

            Assert.True(result.Failed);
            Assert.Contains($"PasswordFile '{file}.missing' does not exist", result.FailureMessage, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", result.FailureMessage, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }

        static SesAccountOptions Account(params SesSenderOptions[] senders) =>
            new() { AppId = "1", Region = SesRegion.International, Senders = [.. senders] };
    }
}
