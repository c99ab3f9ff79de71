using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using SesWorker.Messaging;
using SesWorker.Worker.Sending;

namespace SesWorker.Tests.Sending;

/// <summary>
/// Whatever the client throws while a body moves to its lane reaches the intake's retry as <see cref="LaneForwardException"/>
/// (the only forward failure it holds the message for): anything else faulted the message into <c>send-email_error</c>
/// without a history row. A cancelled consume stays a cancellation.
/// </summary>
public sealed class LaneForwarderTests
{
    [Fact]
    public async Task A_channel_disposed_under_a_forward_fails_as_a_lane_forward_and_is_not_used_again()
    {
        await using var forwarder = new LaneForwarder(new RabbitMqConnection("amqp://guest:guest@127.0.0.1:1/"), NullLogger<LaneForwarder>.Instance);
        FakeLaneChannel.Install(forwarder, () => new ObjectDisposedException("RabbitMQ.Client.Impl.Channel"));

        var thrown = await Assert.ThrowsAsync<LaneForwardException>(() => ForwardAsync(forwarder, CancellationToken.None));

        Assert.IsType<ObjectDisposedException>(thrown.InnerException);
        // Given up: the next forward opens a new channel instead of reusing this one.
        Assert.Null(FakeLaneChannel.Installed(forwarder));
    }

    [Fact]
    public async Task Any_other_client_failure_fails_as_a_lane_forward()
    {
        await using var forwarder = new LaneForwarder(new RabbitMqConnection("amqp://guest:guest@127.0.0.1:1/"), NullLogger<LaneForwarder>.Instance);
        FakeLaneChannel.Install(forwarder, () => new InvalidOperationException("the channel's confirm tracking gave up"));

        var thrown = await Assert.ThrowsAsync<LaneForwardException>(() => ForwardAsync(forwarder, CancellationToken.None));

        Assert.IsType<InvalidOperationException>(thrown.InnerException);
    }

    [Fact]
    public async Task A_cancelled_consume_stays_a_cancellation()
    {
        await using var forwarder = new LaneForwarder(new RabbitMqConnection("amqp://guest:guest@127.0.0.1:1/"), NullLogger<LaneForwarder>.Instance);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        FakeLaneChannel.Install(forwarder, () => new OperationCanceledException(cancelled.Token));

        await Assert.ThrowsAsync<OperationCanceledException>(() => ForwardAsync(forwarder, cancelled.Token));
    }

    [Fact]
    public async Task Every_failure_but_the_consumes_own_cancellation_is_a_forward_failure()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        Assert.True(LaneForwarder.IsForwardFailure(new ObjectDisposedException("channel"), CancellationToken.None));
        Assert.True(LaneForwarder.IsForwardFailure(new InvalidOperationException(), cancelled.Token));
        // A time-out inside the client while the consume goes on: a failure to hold and try again.
        Assert.True(LaneForwarder.IsForwardFailure(new TaskCanceledException(), CancellationToken.None));
        Assert.False(LaneForwarder.IsForwardFailure(new OperationCanceledException(cancelled.Token), cancelled.Token));
    }

    private static Task ForwardAsync(LaneForwarder forwarder, CancellationToken cancellationToken) =>
        forwarder.ForwardAsync("send-email-app-1000", new byte[] { 0x7b, 0x7d }, [], cancellationToken);
}

/// <summary>An open channel whose publish throws what the test gives it; set as the forwarder's channel.</summary>
public class FakeLaneChannel : DispatchProxy
{
    private static readonly FieldInfo ChannelField = typeof(LaneForwarder).GetField("_channel", BindingFlags.Instance | BindingFlags.NonPublic)!;
    private Func<Exception> _failure = () => new InvalidOperationException();
    private bool _disposed;

    public static IChannel Install(LaneForwarder forwarder, Func<Exception> failure)
    {
        var channel = Create<IChannel, FakeLaneChannel>();
        ((FakeLaneChannel)(object)channel)._failure = failure;
        ChannelField.SetValue(forwarder, channel);
        return channel;
    }

    /// <summary>The channel the forwarder would hand out next without opening one.</summary>
    public static object? Installed(LaneForwarder forwarder) => ChannelField.GetValue(forwarder);

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        switch (targetMethod.Name)
        {
            case "get_IsOpen":
                return !_disposed;
            case nameof(IChannel.BasicPublishAsync):
                throw _failure();
            case nameof(IAsyncDisposable.DisposeAsync):
                _disposed = true;
                return ValueTask.CompletedTask;
            case nameof(IDisposable.Dispose):
                _disposed = true;
                return null;
        }

        return targetMethod.ReturnType.IsValueType && targetMethod.ReturnType != typeof(void) ? Activator.CreateInstance(targetMethod.ReturnType) : null;
    }
}
