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
}
