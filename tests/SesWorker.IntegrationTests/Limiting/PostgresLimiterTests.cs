using Npgsql;
using SesWorker.Core.Limiting;
using SesWorker.Core.Sending;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.Limiting;

namespace SesWorker.IntegrationTests.Limiting;

/// <summary>The limiter's SQL itself, on PostgreSQL's clock: what every replica runs, with no C# twin in between.</summary>
[Collection(ServiceBackedTests.Name)]
public sealed class PostgresLimiterTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Interval = Gcra.Interval(20, 0.02);
    private static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(400);
    private static readonly TimeSpan Recovery = TimeSpan.FromMinutes(1);

    // The queue tests' appId: 5 a second, with a horizon that ends half an interval after a slot. Filling a horizon of
    // 400 ms at 20 a second leaves it full by 408 ms less the fill's own time (eight statements): nothing at all where a
    // statement takes a millisecond (CI's run found the next question granted 398 ms ahead). Here the horizon, once
    // full, stays full for about half an interval (100 ms) less the statements' time, however fast this machine runs.
    private static readonly TimeSpan QueueInterval = Gcra.Interval(5, 0.02);
    private static readonly TimeSpan QueueHorizon = QueueInterval * 2.5;
    private NpgsqlDataSource _dataSource = null!;
    private PostgresRateLimiter _limiter = null!;

    public async ValueTask InitializeAsync()
    {
        await fixture.ResetAsync();
        _dataSource = NpgsqlDataSource.Create(fixture.DatabaseConnectionString);
        _limiter = new PostgresRateLimiter(_dataSource);
    }

    public async ValueTask DisposeAsync() => await _dataSource.DisposeAsync();

    private Task<RateLimitGrant> ReserveAsync(string appId, TimeSpan lead = default, (Guid, Guid)? fence = null, TimeSpan? maxWait = null) =>
        _limiter.TryReserveAsync(appId, Interval, maxWait ?? MaxWait, lead, Recovery, fence, leadless: false, 20, TimeSpan.Zero, TimeSpan.Zero, TestContext.Current.CancellationToken);

    private Task<RateLimitGrant> QueueReserveAsync(string appId) =>
        _limiter.TryReserveAsync(appId, QueueInterval, QueueHorizon, TimeSpan.Zero, Recovery, null, leadless: false, 5, TimeSpan.Zero, TimeSpan.Zero, TestContext.Current.CancellationToken);

    /// <summary>Reserves until the horizon is full: the first answer that is not a slot (the place the send queued for).</summary>
    private static async Task<RateLimitGrant> ReserveUntilBusyAsync(Func<Task<RateLimitGrant>> reserve)
    {
        RateLimitGrant grant;
        while ((grant = await reserve()).Verdict == RateLimitVerdict.Granted)
        {
        }

        return grant;
    }

    /// <summary>
    /// Fills the horizon of a fresh appId (<see cref="QueueInterval"/>) and asks <paramref name="count"/> times more: the
    /// sends that find it full, in the order they queued. A machine that stalls between two questions for longer than
    /// the horizon stays full (about 100 ms) finds room again; the setup then starts over on another appId rather than
    /// asserting on a schedule the clock has changed.
    /// </summary>
    private async Task<(string AppId, List<RateLimitGrant> Queued)> QueueAsync(string appId, int count)
    {
        for (var attempt = 1; ; attempt++)
        {
            var key = $"{appId}-{attempt}";
            var queued = new List<RateLimitGrant> { await ReserveUntilBusyAsync(() => QueueReserveAsync(key)) };
            while (queued.Count < count && queued[^1].Verdict == RateLimitVerdict.Busy)
                queued.Add(await QueueReserveAsync(key));
            if (queued.All(g => g.Verdict == RateLimitVerdict.Busy) || attempt == 5)
                return (key, queued);
            TestContext.Current.TestOutputHelper?.WriteLine($"attempt {attempt}: the clock opened room between two questions; again");
        }
    }

    /// <summary>
    /// A granted slot is the schedule's next one (<paramref name="scheduled"/>), unless the clock has passed it: then
    /// it lies one lead from the moment the statement took the row's lock. Two statements can lie more than an interval
    /// apart on a loaded machine (CI runs the unit tests beside these), so the test reads the statement's own start
    /// (its slot less its wait) and duration rather than assuming the clock stood still.
    /// </summary>
    private static void AssertSlot(DateTimeOffset scheduled, RateLimitGrant grant)
    {
        Assert.Equal(RateLimitVerdict.Granted, grant.Verdict);
        var ready = grant.SlotAt - grant.Wait + grant.Lead;
        var low = scheduled > ready ? scheduled : ready;
        var high = scheduled > ready + grant.StatementTime ? scheduled : ready + grant.StatementTime;
        Assert.InRange(grant.SlotAt, low - TimeSpan.FromMilliseconds(0.01), high + TimeSpan.FromMilliseconds(0.01));
    }

    [Fact]
    public async Task Consecutive_reservations_are_spaced_by_the_interval_and_stop_at_the_horizon()
    {
        var grants = new List<RateLimitGrant>();
        do
            grants.Add(await ReserveAsync("spacing"));
        while (grants[^1].Verdict == RateLimitVerdict.Granted && grants.Count < 40);

        var granted = grants.TakeWhile(g => g.Verdict == RateLimitVerdict.Granted).ToList();
        // 400 ms of horizon holds 8 or 9 slots of 51 ms, more where the round trips took long.
        Assert.InRange(granted.Count, 7, 39);
        for (var i = 1; i < granted.Count; i++)
        {
            AssertSlot(granted[i - 1].SlotAt + Interval, granted[i]);
            Assert.True(granted[i].Wait <= MaxWait, $"slot {i} granted {granted[i].Wait.TotalMilliseconds:F1} ms ahead");
        }

        var busy = grants[granted.Count];
        Assert.Equal(RateLimitVerdict.Busy, busy.Verdict);
        Assert.True(busy.RetryAfter > TimeSpan.Zero);
    }

    [Fact]
    public async Task Sends_that_find_the_horizon_full_queue_an_interval_apart_and_get_their_places_when_they_come_back()
    {
        var (appId, queued) = await QueueAsync("queue", 3);
        var (first, second, third) = (queued[0], queued[1], queued[2]);

        // The first to find the horizon full queues for the next free slot, the others one interval behind each other,
        // and each is told to come back when the horizon reaches its place: not all at the same moment.
        Assert.All([first, second, third], g => Assert.Equal(RateLimitVerdict.Busy, g.Verdict));
        Assert.InRange((second.SlotAt - first.SlotAt - QueueInterval).TotalMilliseconds, -0.01, 0.01);
        Assert.InRange((third.SlotAt - second.SlotAt - QueueInterval).TotalMilliseconds, -0.01, 0.01);

        // Back when told, each gets the slot at its place (or, where this machine was slow, a lead from its statement).
        await Task.Delay(first.RetryAfter, TestContext.Current.CancellationToken);
        AssertSlot(first.SlotAt, await QueueReserveAsync(appId));
        await Task.Delay(second.RetryAfter - first.RetryAfter, TestContext.Current.CancellationToken);
        AssertSlot(second.SlotAt, await QueueReserveAsync(appId));
    }

    [Fact]
    public async Task Places_nobody_comes_back_for_are_given_up_as_the_sends_behind_them_find_room()
    {
        // Four sends queue; the first two never come back (cancelled, their worker stopped).
        var (appId, queued) = await QueueAsync("phantom", 4);
        Assert.All(queued, g => Assert.Equal(RateLimitVerdict.Busy, g.Verdict));

        // The third comes back when told and takes the next free slot, the first one's place, with room left after it:
        // the queue is further back than the sends in it need, and its tail moves up.
        await Task.Delay(queued[2].RetryAfter, TestContext.Current.CancellationToken);
        AssertSlot(queued[0].SlotAt, await QueueReserveAsync(appId));

        // Others take the room; the next send to queue is not placed behind the places nobody came for (the fourth's
        // place and one interval more, as it was before the tail moved up).
        var last = await ReserveUntilBusyAsync(() => QueueReserveAsync(appId));
        Assert.True(last.SlotAt < queued[3].SlotAt + QueueInterval / 2,
            $"queued {(last.SlotAt - queued[3].SlotAt).TotalMilliseconds:F1} ms after the fourth's place");
    }

    [Fact]
    public async Task A_slot_starts_one_shared_lead_ahead_and_a_lead_grown_over_half_an_interval_moves_the_next_slot_back_by_the_excess()
    {
        var first = await ReserveAsync("lead", TimeSpan.FromMilliseconds(300));
        Assert.Equal(RateLimitVerdict.Granted, first.Verdict);
        Assert.Equal(TimeSpan.FromMilliseconds(300), first.Lead);
        Assert.InRange(first.Wait.TotalMilliseconds, 295, 301);

        var second = await ReserveAsync("lead", TimeSpan.FromMilliseconds(100));
        // The slot used the shared lead (300); the row moved a tenth of the way to 100: 280.
        Assert.Equal(TimeSpan.FromMilliseconds(300), second.Lead);
        AssertSlot(first.SlotAt + Interval, second);
        var third = await ReserveAsync("lead", TimeSpan.FromMilliseconds(480));
        Assert.Equal(TimeSpan.FromMilliseconds(280), third.Lead);
        var fourth = await ReserveAsync("lead", TimeSpan.FromMilliseconds(480));
        // A tenth of the way to 480: 300. Growth of under half an interval moves nothing: the fourth's MAIL FROM (slot
        // less lead) is 20 ms less than an interval after the third's, still in slot order. Three workers' estimates
        // pull the shared lead up and down by such steps all the time; moving the schedule back by every upward one
        // cost 1-3% of the rate at 300 ms per reply. The second's span between MAIL FROMs 20 places apart counts the
        // growth in full (A_slot_a_second_after_a_late_one_moves_back_by_the_leads_growth_too).
        Assert.Equal(TimeSpan.FromMilliseconds(300), fourth.Lead);
        AssertSlot(third.SlotAt + Interval, fourth);
        var fifth = await ReserveAsync("lead", TimeSpan.FromMilliseconds(1318));
        Assert.Equal(TimeSpan.FromMilliseconds(318), fifth.Lead);
        var sixth = await ReserveAsync("lead", TimeSpan.FromMilliseconds(418));
        // A tenth of the way to 1,318: 418, a growth of 100 ms. The sixth slot moved back by what exceeds half an
        // interval, so its MAIL FROM is still half an interval after the fifth's.
        Assert.Equal(TimeSpan.FromMilliseconds(418), sixth.Lead);
        AssertSlot(fifth.SlotAt - fifth.Lead + Interval / 2 + sixth.Lead, sixth);
    }

    [Fact]
    public async Task A_late_send_moves_the_slot_a_second_after_it_while_that_one_is_not_given_out()
    {
        var horizon = TimeSpan.FromSeconds(3);
        var pushed = TimeSpan.FromMilliseconds(200);
        // A lead of a second keeps the appId's next free slot ahead of the clock, however slowly this machine runs.
        var late = await ReserveAsync("excuse", TimeSpan.FromSeconds(1), maxWait: horizon);

        Assert.True(await _limiter.TryExcuseAsync("excuse", late.SlotAt, pushed, null, TestContext.Current.CancellationToken));
        var slots = new List<DateTimeOffset>();
        for (var i = 0; i < 22; i++)
        {
            var grant = await ReserveAsync("excuse", maxWait: horizon);
            Assert.Equal(RateLimitVerdict.Granted, grant.Verdict);
            slots.Add(grant.SlotAt);
            if (i == 0)
            {
                // Another send late by less than the first: the schedule moves by the longest lateness, not the sum.
                Assert.True(await _limiter.TryExcuseAsync("excuse", grant.SlotAt, pushed / 4, null, TestContext.Current.CancellationToken));
                // Found late again (its content after its start): still its own slot, late by the larger amount.
                Assert.True(await _limiter.TryExcuseAsync("excuse", grant.SlotAt, pushed / 2, null, TestContext.Current.CancellationToken));
            }
        }

        // On the database's clock: the 19 after it keep their places; the 20th (a second's span later) and the ones
        // after it move by the lateness once.
        Assert.InRange((slots[18] - late.SlotAt - Interval * 19).TotalMilliseconds, -0.01, 0.01);
        Assert.InRange((slots[19] - late.SlotAt - Interval * 20 - pushed).TotalMilliseconds, -0.01, 0.01);
        Assert.InRange((slots[21] - late.SlotAt - Interval * 22 - pushed).TotalMilliseconds, -0.01, 0.01);
        // The slot a second later is given out, and it may already have started: too late to move it.
        Assert.False(await _limiter.TryExcuseAsync("excuse", late.SlotAt, pushed, null, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_slot_a_second_after_a_late_one_moves_back_by_the_leads_growth_too()
    {
        var horizon = TimeSpan.FromSeconds(3);
        var late = TimeSpan.FromMilliseconds(300);
        // Leads of a second and more keep the appId's next free slot ahead of the clock, however slowly this machine runs.
        var first = await ReserveAsync("grown", TimeSpan.FromSeconds(1), maxWait: horizon);
        Assert.True(await _limiter.TryExcuseAsync("grown", first.SlotAt, late, null, TestContext.Current.CancellationToken));
        for (var i = 0; i < 18; i++)
            Assert.Equal(RateLimitVerdict.Granted, (await ReserveAsync("grown", TimeSpan.FromSeconds(1), maxWait: horizon)).Verdict);
        // The 20th slot's caller estimates a longer lead: the shared lead grows a tenth of the way, 100 ms.
        Assert.Equal(RateLimitVerdict.Granted, (await ReserveAsync("grown", TimeSpan.FromSeconds(2), maxWait: horizon)).Verdict);

        var next = await ReserveAsync("grown", TimeSpan.FromSeconds(2), maxWait: horizon);

        Assert.Equal(RateLimitVerdict.Granted, next.Verdict);
        Assert.Equal(TimeSpan.FromMilliseconds(1100), next.Lead);
        // The first send's MAIL FROM went out its lateness after its start; the one 20 places later starts 20 intervals
        // after that (before: 100 ms sooner, the lead's growth, so 21 MAIL FROMs could fall within a second).
        var firstStart = first.SlotAt - first.Lead + late;
        Assert.True(next.SlotAt - next.Lead - firstStart >= Interval * 20 - TimeSpan.FromMilliseconds(0.01),
            $"MAIL FROMs {(next.SlotAt - next.Lead - firstStart).TotalMilliseconds:F1} ms apart, 20 intervals are {(Interval * 20).TotalMilliseconds:F1}");
        Assert.True(next.SlotAt - (first.SlotAt + late) >= Interval * 20 - TimeSpan.FromMilliseconds(0.01));
    }

    [Fact]
    public async Task The_content_may_go_early_only_where_the_slots_before_it_leave_room()
    {
        var lead = TimeSpan.FromMilliseconds(300);
        // A first slot has nothing before it that the row still shows: its earliest is the slot itself.
        var first = await ReserveAsync("early", lead);
        Assert.Equal(first.Wait, first.EarliestWait);
        // A full schedule: the next slot lies right after the one before it, and so does its earliest. (Where the clock
        // passed the schedule between two statements, the slot was placed a lead from now: the next one is asked for.)
        var before = first;
        var second = await ReserveAsync("early", lead);
        for (var i = 0; i < 5 && second.SlotAt > before.SlotAt + Interval + TimeSpan.FromMilliseconds(0.01); i++)
            (before, second) = (second, await ReserveAsync("early", lead));
        Assert.InRange((second.SlotAt - before.SlotAt - Interval).TotalMilliseconds, -0.01, 0.01);
        Assert.Equal(second.Wait, second.EarliestWait);

        // Below its rate: a slot a lead from now, and room before it from an interval after the one before it.
        await Task.Delay(lead + Interval * 4, TestContext.Current.CancellationToken);
        var sparse = await ReserveAsync("early", lead);
        Assert.Equal(RateLimitVerdict.Granted, sparse.Verdict);
        Assert.True(sparse.EarliestWait < sparse.Wait - Interval, $"earliest {sparse.EarliestWait.TotalMilliseconds:F1} ms, slot {sparse.Wait.TotalMilliseconds:F1} ms");
        var earliest = sparse.SlotAt - sparse.Wait + sparse.EarliestWait;
        Assert.InRange((earliest - (second.SlotAt + Interval)).TotalMilliseconds, -0.01, 0.01);
    }

    [Fact]
    public async Task The_earliest_keeps_a_seconds_span_after_the_slot_per_second_places_back_as_late_as_it_was_counted()
    {
        // Three per "second" of 300 ms, so the row keeps three slots.
        var interval = TimeSpan.FromMilliseconds(100);
        Task<RateLimitGrant> Reserve(TimeSpan lead) => _limiter.TryReserveAsync("span", interval, TimeSpan.FromSeconds(2), lead, Recovery, null,
            leadless: false, 3, TimeSpan.Zero, TimeSpan.Zero, TestContext.Current.CancellationToken);
        var lead = TimeSpan.FromMilliseconds(400);
        var first = await Reserve(lead);
        await Reserve(lead);
        var counted = TimeSpan.FromMilliseconds(500);
        Assert.True(await _limiter.TryExcuseAsync("span", first.SlotAt, counted, null, TestContext.Current.CancellationToken));

        // Long after the second slot, and a lead from now lies past the first's counted moment and a span.
        await Task.Delay(TimeSpan.FromMilliseconds(1000), TestContext.Current.CancellationToken);
        var third = await Reserve(lead);

        var earliest = third.SlotAt - third.Wait + third.EarliestWait;
        Assert.True(third.SlotAt > first.SlotAt + counted + interval * 3, "the test's premise: the slot lies beyond the span");
        // Two places back is one nearer than the rule needs (the row no longer shows three back): the safe side.
        Assert.InRange((earliest - (first.SlotAt + counted + interval * 3)).TotalMilliseconds, -0.01, 0.01);
    }

    [Fact]
    public async Task A_slot_with_room_before_it_is_recorded_its_idle_allowance_late_at_once_and_a_full_schedule_gets_none()
    {
        var interval = TimeSpan.FromMilliseconds(100);
        var allowance = TimeSpan.FromMilliseconds(200);
        // Three per "second" of 300 ms; a lead of 400 ms keeps the slots ahead of the clock.
        Task<RateLimitGrant> Reserve() => _limiter.TryReserveAsync("allowance", interval, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(400),
            Recovery, null, leadless: false, 3, allowance, TimeSpan.Zero, TestContext.Current.CancellationToken);

        var quiet = await Reserve();
        var second = await Reserve();
        var third = await Reserve();
        var fourth = await Reserve();

        Assert.Equal(allowance, quiet.Allowance);
        // Placed right after the slot before them: no room, no allowance (a busy appId keeps its full rate).
        Assert.Equal(TimeSpan.Zero, second.Allowance);
        Assert.Equal(TimeSpan.Zero, third.Allowance);
        // The slot three places after the quiet one keeps a span from its latest use, as if it had been excused.
        Assert.InRange((fourth.SlotAt - quiet.SlotAt - allowance - interval * 3).TotalMilliseconds, -0.01, 0.01);

        // A short gap (less than a span of room before the slot) is not quiet: no allowance.
        await Task.Delay(fourth.SlotAt - DateTimeOffset.UtcNow + interval * 2 - TimeSpan.FromMilliseconds(400), TestContext.Current.CancellationToken);
        var afterGap = await Reserve();
        Assert.Equal(TimeSpan.Zero, afterGap.Allowance);
        // After a quiet second and more, again.
        await Task.Delay(TimeSpan.FromMilliseconds(800), TestContext.Current.CancellationToken);
        Assert.Equal(allowance, (await Reserve()).Allowance);
    }

    /// <summary>
    /// A large message reaches the provider its transfer time after its slot, and the provider counts it at its end of
    /// DATA: the slot is recorded as counted that much later at once, so the slot a second's worth of places later keeps a
    /// second's span from that end. Before, the schedule went on from the slot, and the call after the slots of the next
    /// second shared that second with them: 21 counted.
    /// </summary>
    [Fact]
    public async Task A_large_messages_slot_is_recorded_as_counted_its_transfer_later_and_the_slot_a_second_on_keeps_its_span_from_that()
    {
        var interval = TimeSpan.FromMilliseconds(100);
        var transfer = TimeSpan.FromMilliseconds(250);
        // Three per "second" of 300 ms; a lead of 400 ms keeps the slots ahead of the clock.
        Task<RateLimitGrant> Reserve(TimeSpan sent) => _limiter.TryReserveAsync("transfer", interval, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(400),
            Recovery, null, leadless: false, 3, TimeSpan.Zero, sent, TestContext.Current.CancellationToken);

        var large = await Reserve(transfer);
        var second = await Reserve(TimeSpan.Zero);
        var third = await Reserve(TimeSpan.Zero);
        var fourth = await Reserve(TimeSpan.Zero);

        // The transfer is not lateness the send may use: its content still starts at the slot.
        Assert.Equal(TimeSpan.Zero, large.Allowance);
        Assert.InRange((second.SlotAt - large.SlotAt - interval).TotalMilliseconds, -0.01, 0.01);
        Assert.InRange((third.SlotAt - second.SlotAt - interval).TotalMilliseconds, -0.01, 0.01);
        // Three places on: a span (300 ms) after the large one's end of DATA, not after its slot.
        Assert.InRange((fourth.SlotAt - large.SlotAt - transfer - interval * 3).TotalMilliseconds, -0.01, 0.01);
    }

    [Fact]
    public async Task A_lateness_over_an_interval_is_recorded_where_the_appId_has_room_and_refused_in_a_full_schedule()
    {
        var limit = new ExcuseLimit(Interval, 20);
        var lateness = Interval * 5;

        // An appId sending below its rate: by the time the send is found late, its next free slot is in the past.
        var sparse = await ReserveAsync("room");
        await Task.Delay(lateness + Interval * 2, TestContext.Current.CancellationToken);
        Assert.True(await _limiter.TryExcuseAsync("room", sparse.SlotAt, lateness, limit, TestContext.Current.CancellationToken));

        // A full schedule (a lead of a second keeps the next free slot ahead of the clock): the same lateness would move
        // the slot a second later back by four intervals more than a fresh slot costs.
        var full = await ReserveAsync("full", TimeSpan.FromSeconds(1));
        await ReserveAsync("full", TimeSpan.FromSeconds(1));
        Assert.False(await _limiter.TryExcuseAsync("full", full.SlotAt, lateness, limit, TestContext.Current.CancellationToken));
        // Within an interval it is recorded there too.
        Assert.True(await _limiter.TryExcuseAsync("full", full.SlotAt, Interval / 2, limit, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_send_whose_go_ahead_came_late_gets_a_fresh_slot_while_others_keep_the_horizon_full()
    {
        await ReserveUntilBusyAsync(() => ReserveAsync("late", TimeSpan.FromMilliseconds(500)));

        var fresh = await _limiter.TryReserveAsync("late", Interval, MaxWait, TimeSpan.FromMilliseconds(500), Recovery, null, leadless: true,
            20, TimeSpan.Zero, TimeSpan.Zero, TestContext.Current.CancellationToken);

        // Not starved behind the sends that reserve a lead ahead: it queues like them, within the same horizon.
        Assert.True(fresh.Verdict is RateLimitVerdict.Granted or RateLimitVerdict.Busy);
        if (fresh.Verdict == RateLimitVerdict.Busy)
        {
            await Task.Delay(fresh.RetryAfter + Interval, TestContext.Current.CancellationToken);
            fresh = await _limiter.TryReserveAsync("late", Interval, MaxWait, TimeSpan.FromMilliseconds(500), Recovery, null, leadless: true,
                20, TimeSpan.Zero, TimeSpan.Zero, TestContext.Current.CancellationToken);
        }

        Assert.Equal(RateLimitVerdict.Granted, fresh.Verdict);
    }

    [Fact]
    public async Task A_step_down_slows_every_replica_and_one_burst_of_throttling_is_one_step()
    {
        await ReserveAsync("penalty");
        var step = await _limiter.StepDownAsync("penalty", 1.25, 4, Recovery, TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        var again = await _limiter.StepDownAsync("penalty", 1.25, 4, Recovery, TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);

        Assert.Equal(1.25, step);
        Assert.Null(again);
        var a = await ReserveAsync("penalty");
        var b = await ReserveAsync("penalty");
        Assert.InRange(a.Penalty, 1.24, 1.25);
        // The next slots are spaced by 1.25 intervals (what is left of the penalty when the first was reserved).
        AssertSlot(a.SlotAt + Interval * a.Penalty, b);
    }

    [Fact]
    public async Task The_daily_quota_pauses_the_appId_until_the_providers_next_day_on_the_databases_clock_and_survives_a_crash()
    {
        var before = await ScalarAsync<DateTimeOffset>("SELECT clock_timestamp()");
        var until = await _limiter.PauseUntilProviderDayAsync("quota", ErrorCodes.ExceedSendLimit, "spent", TestContext.Current.CancellationToken);
        var grant = await ReserveAsync("quota");
        var after = await ScalarAsync<DateTimeOffset>("SELECT clock_timestamp()");
        var persistence = await ScalarAsync<char>("SELECT relpersistence FROM pg_class WHERE relname = 'app_pauses'");

        // What ProviderDay says for some moment of the statement (a run in the first minutes of Beijing's day gets the short wait).
        Assert.True(ProviderDay.SpentUntil(before) == until || ProviderDay.SpentUntil(after) == until
            || (until > before + ProviderDay.GraceWait && until < after + ProviderDay.GraceWait && ProviderDay.SpentUntil(after) < ProviderDay.NextStart(after)),
            $"paused until {until:O}, the statement ran between {before:O} and {after:O}");
        Assert.Equal(RateLimitVerdict.Paused, grant.Verdict);
        Assert.Equal(until, grant.PausedUntil);
        Assert.Equal('p', persistence);
        Assert.Equal(RateLimitVerdict.Granted, (await ReserveAsync("other-app")).Verdict);
    }

    [Fact]
    public async Task A_slot_is_only_for_the_current_claim_of_the_email()
    {
        var emailId = Guid.NewGuid();
        var token = Guid.NewGuid();
        await ExecuteAsync($"""
            INSERT INTO email_messages (email_id, to_addresses, attachment_count, attachment_bytes, status, attempts, created_at, updated_at, claim_token)
            VALUES ('{emailId}', '{"{}"}', 0, 0, 'sending', 0, now(), now(), '{token}')
            """);

        var stale = await ReserveAsync("fence", fence: (emailId, Guid.NewGuid()));
        var current = await ReserveAsync("fence", fence: (emailId, token));

        Assert.Equal(RateLimitVerdict.Fenced, stale.Verdict);
        Assert.Equal(RateLimitVerdict.Granted, current.Verdict);
        Assert.True(await ScalarAsync<bool>($"SELECT transmitting_at IS NOT NULL FROM email_messages WHERE email_id = '{emailId}'"));
    }

    /// <summary>
    /// The pause's end as the SQL computes it, for moments around Beijing's midnight (16:00 UTC): the same as
    /// <see cref="ProviderDay.SpentUntil"/>, including the short wait in the first minutes of the provider's day.
    /// </summary>
    [Theory]
    [InlineData("2026-11-30T15:59:59.900+00:00")]
    [InlineData("2026-11-30T16:00:00+00:00")]
    [InlineData("2026-11-30T16:00:00.050+00:00")]
    [InlineData("2026-11-30T16:09:59.999+00:00")]
    [InlineData("2026-11-30T16:10:00+00:00")]
    [InlineData("2026-11-30T12:00:00+00:00")]
    [InlineData("2026-12-31T16:30:00+00:00")]
    public async Task The_pauses_end_on_the_databases_clock_is_what_the_provider_day_rule_says(string moment)
    {
        var now = DateTimeOffset.Parse(moment, System.Globalization.CultureInfo.InvariantCulture);
        await using var command = _dataSource.CreateCommand($"SELECT {PostgresRateLimiter.SpentUntilSql("$1")}");
        command.Parameters.Add(new Npgsql.NpgsqlParameter<DateTimeOffset> { TypedValue = now, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });

        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        await reader.ReadAsync(TestContext.Current.CancellationToken);
        var until = reader.GetFieldValue<DateTimeOffset>(0);

        Assert.Equal(ProviderDay.SpentUntil(now), until);
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        await reader.ReadAsync(TestContext.Current.CancellationToken);
        return reader.GetFieldValue<T>(0);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}
