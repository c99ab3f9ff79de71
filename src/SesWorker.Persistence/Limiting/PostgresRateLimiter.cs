using Npgsql;
using NpgsqlTypes;
using SesWorker.Core.Sending;

namespace SesWorker.Persistence.Limiting;

/// <summary>
/// The distributed limiter shared by every replica: one row per appId in an UNLOGGED table, the database clock
/// as the only clock, one statement (one round trip) per reservation, no transaction held while the caller waits.
/// </summary>
/// <remarks>
/// A reservation is a slot: the moment the provider should count the send (the end of DATA). Slots are spaced
/// by the interval (GCRA in reservation form, no burst), multiplied by the appId's penalty while the provider
/// has recently throttled it. The caller starts the transaction one <em>lead</em> before the slot (MAIL FROM)
/// and holds the message content until the slot, so both moments are spaced by the interval whatever the reply
/// latency. The lead is shared by the replicas through the row: each reservation moves it a tenth of the way to
/// the caller's own estimate; when it grows by more than half an interval, the next slot moves back by the excess, so
/// consecutive MAIL FROMs stay in slot order (a shrinking lead only spreads them) while the lead follows the provider,
/// and a slot 20 places after another moves back by all the lead grew in between, so MAIL FROMs keep a second's span.
/// The same statement reads the appId's pause (daily quota) and marks the email as transmitting, fenced by the
/// caller's claim: a worker that lost its claim gets no slot to send with. A caller that finds the horizon full is
/// queued for a place (one interval behind the last one queued) and told when the horizon reaches it, so the callers
/// waiting in every replica ask again one at a time, not together.
/// </remarks>
public sealed class PostgresRateLimiter(NpgsqlDataSource dataSource)
{
    private static readonly string ReserveSql = Reserve(Factor("$6"));

    private static readonly string StepDownSql = $"""
        UPDATE rate_limits r SET penalty = LEAST($3, ({Factor("$5")}) * $2), penalized_at = statement_timestamp()
        WHERE r.key = $1 AND (r.penalized_at IS NULL OR r.penalized_at < statement_timestamp() - $4)
        RETURNING r.penalty
        """;

    /// <summary>The appId's interval multiplier now: its penalty, worn off linearly over the recovery time.</summary>
    private static string Factor(string recoverySeconds) =>
        $"1 + (COALESCE(r.penalty, 1) - 1) * GREATEST(0, 1 - COALESCE(EXTRACT(epoch FROM statement_timestamp() - r.penalized_at)::float8 / {recoverySeconds}, 1))";

    // The slot: the next free one (tat), not before the lead from now, and not before a second's span (the last
    // $10 slots' worth, $11) after the slot $10 places back was counted (as late as its send went out: TryExcuseAsync),
    // plus what the shared lead grew since that slot, so the MAIL FROMs are a second's span apart too (the lead that
    // slot started with is kept beside it in recent_leads, aligned from the end).
    private const string SecondAfterCounted = """
        CASE WHEN cardinality(r.recent_counted) >= $10 THEN r.recent_counted[1] + $11
            + CASE WHEN $9 THEN interval '0' ELSE GREATEST((SELECT shared_lead FROM p)
                - COALESCE(r.recent_leads[cardinality(r.recent_leads) - cardinality(r.recent_counted) + 1], (SELECT shared_lead FROM p)), interval '0') END
        END
        """;

    // How far ahead of now the next slot would lie (the next free one, a lead from now, a second's span after a count),
    // and the horizon it must lie within to be given: the reservation's condition, and, one step further on, whether a
    // grant leaves room for another.
    private const string NextSlotAhead = $"GREATEST(r.tat, (SELECT now + lead FROM p), {SecondAfterCounted}) - (SELECT now FROM p)";
    private const string Horizon = "$4 + (SELECT shared_lead FROM p)";

    // One interval at the appId's current penalty: what a slot, a queued place and the queue's move-up each take.
    private const string Step = "$3 * (SELECT factor FROM p)";

    private static string Reserve(string factor) => $"""
        WITH pause AS (
            SELECT until FROM app_pauses WHERE app_id = $1 AND until > statement_timestamp()
        ), cur AS (
            SELECT r.tat, r.lead, {factor} AS factor FROM rate_limits r WHERE r.key = $2
        ), p AS (
            SELECT statement_timestamp() AS now, CASE WHEN $9 THEN interval '0' ELSE COALESCE((SELECT lead FROM cur), $5) END AS lead,
                   COALESCE((SELECT lead FROM cur), $5) AS shared_lead, COALESCE((SELECT factor FROM cur), 1) AS factor
        ), granted AS (
            INSERT INTO rate_limits AS r (key, tat, lead, recent_slots, recent_counted, recent_leads)
            SELECT $2, p.now + p.lead + $3, $5, ARRAY[p.now + p.lead], ARRAY[p.now + p.lead + GREATEST($12, $13)], ARRAY[p.shared_lead] FROM p WHERE NOT EXISTS (SELECT FROM pause)
            ON CONFLICT (key) DO UPDATE SET
                -- clock_timestamp(): the row is locked by now, and a wait for the lock must not shorten the lead.
                -- The lead moves a tenth of the way to the caller's estimate. A growing lead brings the next MAIL FROM
                -- closer to this one than their slots are apart. Up to half an interval that is left alone: the MAIL
                -- FROMs stay in slot order, and the one 20 places on keeps a second's span from this one whatever the
                -- lead grew in between (SecondAfterCounted). Moving the schedule back by every upward step cost the
                -- rate 1-3% at 300 ms per reply, where three workers' estimates pull the shared lead up and down all
                -- the time. A larger growth moves the next slot back by the excess, once; shrinking only spreads them.
                (tat, recent_slots, recent_counted, recent_leads) = (
                    SELECT x.slot + {Step} + CASE WHEN $9 THEN interval '0' ELSE GREATEST((EXCLUDED.lead - r.lead) * 0.1 - {Step} / 2, interval '0') END,
                           (r.recent_slots || x.slot)[GREATEST(1, cardinality(r.recent_slots) + 2 - $10):],
                           (r.recent_counted || (x.slot + GREATEST(CASE WHEN x.ready - x.bound >= $11 THEN $12 ELSE interval '0' END, $13)))[GREATEST(1, cardinality(r.recent_counted) + 2 - $10):],
                           (r.recent_leads || (SELECT shared_lead FROM p))[GREATEST(1, cardinality(r.recent_leads) + 2 - $10):]
                    FROM (SELECT GREATEST(b.bound, b.ready) AS slot, b.bound, b.ready
                          FROM (SELECT GREATEST(r.tat, {SecondAfterCounted}) AS bound, clock_timestamp() + (SELECT lead FROM p) AS ready) b) x),
                lead = CASE WHEN $9 THEN r.lead ELSE r.lead + (EXCLUDED.lead - r.lead) * 0.1 END,
                -- Room for another slot after this one: the queue (below) is further back than the sends waiting in it
                -- need (a queued send that never came back, or came back to find its place taken and queued again), so
                -- its tail moves up by an interval and the horizon fills again.
                queue_tail = CASE WHEN {NextSlotAhead} + {Step} <= {Horizon} THEN r.queue_tail - {Step} ELSE r.queue_tail END
            -- The same horizon for a leadless slot: it must not starve behind the sends that reserve a lead ahead.
            WHERE {NextSlotAhead} <= {Horizon}
            RETURNING r.tat, r.recent_slots[cardinality(r.recent_slots)] AS slot, {Earliest} AS earliest,
                GREATEST(r.recent_counted[cardinality(r.recent_counted)] - r.recent_slots[cardinality(r.recent_slots)] - $13, interval '0') AS allowance
        ), queued AS (
            -- A send that finds the horizon full takes the place one interval behind the last one given out this way
            -- (the next free slot where no send waits) and is told to come back when the horizon reaches that place.
            -- Without it every waiting send of every replica came back at the same moment for one slot: the polls per
            -- send grew with the replicas. The row is locked already (ON CONFLICT locks it even where it updates nothing).
            UPDATE rate_limits r SET queue_tail = GREATEST(r.queue_tail + {Step}, r.tat)
            WHERE r.key = $2 AND NOT EXISTS (SELECT FROM granted) AND NOT EXISTS (SELECT FROM pause)
            RETURNING r.queue_tail AS place
        ), mark AS (
            UPDATE email_messages SET transmitting_at = statement_timestamp()
            WHERE email_id = $7 AND claim_token = $8 AND EXISTS (SELECT FROM granted)
            RETURNING 1
        )
        SELECT (SELECT slot FROM granted) - p.now, p.shared_lead, (SELECT place FROM queued) - p.now,
               (SELECT until FROM pause), p.factor, EXISTS (SELECT FROM mark), clock_timestamp() - p.now,
               COALESCE((SELECT slot FROM granted), (SELECT place FROM queued)), (SELECT earliest FROM granted) - p.now, (SELECT allowance FROM granted),
               p.now
        FROM p
        """;

    // The earliest the content may go without crowding the slots before it (the slot itself where that cannot be told):
    // never after the slot (so never beyond the grant's wait), an interval after the one before it was counted, and a
    // second's span after the one perSecond - 1 places back was
    // (the row keeps perSecond slots, this one included, so the one perSecond places back is gone: one place nearer is
    // the safe side). From the row as this statement left it, after the lock: another replica's slot just before this
    // one is seen. A slot placed one lead from now (an appId below its rate) has room before it, and the content need
    // not sit out the rest of a lead that the provider's go-ahead beat.
    private const string Earliest = $"""
        LEAST(r.recent_slots[cardinality(r.recent_slots)], CASE WHEN $10 >= 2 AND cardinality(r.recent_counted) >= 2 THEN
            GREATEST(r.recent_counted[cardinality(r.recent_counted) - 1] + {Step},
                     CASE WHEN cardinality(r.recent_counted) >= $10 THEN r.recent_counted[1] + $11 END)
            ELSE r.recent_slots[cardinality(r.recent_slots)] END)
        """;

    /// <summary>Reserves the appId's next slot, or says when to ask again, or that the appId is paused.</summary>
    /// <param name="interval">1 / rate, before any penalty.</param>
    /// <param name="maxWait">A slot further than this (beyond the lead) is not reserved: the caller asks again later.</param>
    /// <param name="lead">The caller's estimate of the time from MAIL FROM to the provider's go-ahead for the content.</param>
    /// <param name="penaltyRecovery">How long a step-down takes to wear off.</param>
    /// <param name="fence">The email and claim the slot is for; the email is marked as transmitting. Null: no mark.</param>
    /// <param name="leadless">A slot from now on, without a lead (the transaction is already open); the shared lead is left as it is.</param>
    /// <param name="perSecond">The calls the provider allows in any second (floor of the rate): a slot is never given
    /// within <paramref name="interval"/> times this after the one this many places back.</param>
    /// <param name="idleAllowance">
    /// How late a slot of a quiet appId (placed a lead from now with at least a second's span of room before it, not by
    /// the slots before it) may be used without a word: it is recorded as counted that much later at once, as an excuse
    /// would record it, so the slots after it keep their distance from its latest use. A busy schedule, and one with a
    /// short gap, gets none and loses nothing. Returned as <see cref="RateLimitGrant.Allowance"/>.
    /// </param>
    /// <param name="transfer">
    /// How long the content takes to reach the provider once it starts (its size over the link's bandwidth): the
    /// provider counts the call at its end of DATA, that much after the slot. The slot is recorded as counted that much
    /// later at once (as an excuse records a late send), so the slot a second's worth later keeps a second's span from
    /// the call's real count. Zero for a small message; below the tolerance it costs the schedule nothing.
    /// </param>
    public async Task<RateLimitGrant> TryReserveAsync(string appId, TimeSpan interval, TimeSpan maxWait, TimeSpan lead, TimeSpan penaltyRecovery,
        (Guid EmailId, Guid ClaimToken)? fence, bool leadless, int perSecond, TimeSpan idleAllowance, TimeSpan transfer, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ReserveSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = appId, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Key(appId), NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = interval, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = maxWait, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = lead, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = penaltyRecovery.TotalSeconds, NpgsqlDbType = NpgsqlDbType.Double });
        command.Parameters.Add(new NpgsqlParameter { Value = fence is { } f ? f.EmailId : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = fence is { } g ? g.ClaimToken : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = leadless, NpgsqlDbType = NpgsqlDbType.Boolean });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = perSecond, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = interval * perSecond, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = idleAllowance, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = transfer, NpgsqlDbType = NpgsqlDbType.Interval });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var sharedLead = reader.GetFieldValue<TimeSpan>(1);
        var factor = reader.GetDouble(4);
        var statementTime = reader.GetFieldValue<TimeSpan>(6);
        var statementStartedAt = reader.GetFieldValue<DateTimeOffset>(10);
        if (!reader.IsDBNull(3))
            return new RateLimitGrant(RateLimitVerdict.Paused, TimeSpan.Zero, sharedLead, factor, PausedUntil: reader.GetFieldValue<DateTimeOffset>(3),
                StatementTime: statementTime, StatementStartedAt: statementStartedAt);
        if (!reader.IsDBNull(0))
        {
            var verdict = fence is null || reader.GetBoolean(5) ? RateLimitVerdict.Granted : RateLimitVerdict.Fenced;
            var wait = Max(reader.GetFieldValue<TimeSpan>(0), TimeSpan.Zero);
            return new RateLimitGrant(verdict, wait, sharedLead, factor, StatementTime: statementTime,
                SlotAt: reader.GetFieldValue<DateTimeOffset>(7), EarliestWait: reader.GetFieldValue<TimeSpan>(8),
                Allowance: reader.GetFieldValue<TimeSpan>(9), StatementStartedAt: statementStartedAt);
        }

        // The backlog ahead of us (the place this send queued for), less what may be reserved. No place: the row was
        // created by another replica after this statement's snapshot; ask again soon.
        var backlog = reader.IsDBNull(2) ? TimeSpan.Zero : reader.GetFieldValue<TimeSpan>(2);
        return new RateLimitGrant(RateLimitVerdict.Busy, TimeSpan.Zero, sharedLead, factor,
            RetryAfter: Max(backlog - maxWait - sharedLead, TimeSpan.FromMilliseconds(1)),
            SlotAt: reader.IsDBNull(7) ? default : reader.GetFieldValue<DateTimeOffset>(7), StatementTime: statementTime, StatementStartedAt: statementStartedAt);
    }

    /// <summary>
    /// The provider throttled the appId although the slots were spaced: multiply its interval by
    /// <paramref name="step"/> (at most <paramref name="maxPenalty"/>) for every replica; it wears off linearly over
    /// <paramref name="recovery"/>. At most one step per <paramref name="minGap"/>, so one burst of throttled replies
    /// is one step. Returns the new penalty, or null when another step was taken just before.
    /// </summary>
    public async Task<double?> StepDownAsync(string appId, double step, double maxPenalty, TimeSpan recovery, TimeSpan minGap, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StepDownSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Key(appId), NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = step, NpgsqlDbType = NpgsqlDbType.Double });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = maxPenalty, NpgsqlDbType = NpgsqlDbType.Double });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = minGap, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = recovery.TotalSeconds, NpgsqlDbType = NpgsqlDbType.Double });
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return result is double penalty ? penalty : null;
    }

    /// <summary>
    /// <see cref="ProviderDay.SpentUntil"/> as SQL, for the timestamptz expression <paramref name="now"/>: the provider's
    /// next midnight (Beijing time), or a short wait within the first minutes of its day.
    /// </summary>
    public static string SpentUntilSql(string now) =>
        $"CASE WHEN {now} < (date_trunc('day', {now} AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai') + interval '{(int)ProviderDay.ResetGrace.TotalSeconds} seconds' " +
        $"THEN {now} + interval '{(int)ProviderDay.GraceWait.TotalSeconds} seconds' " +
        $"ELSE (date_trunc('day', {now} AT TIME ZONE 'Asia/Shanghai') + interval '1 day') AT TIME ZONE 'Asia/Shanghai' END";

    /// <summary>
    /// Stops every replica from reserving slots for the appId until the provider's next day (00:00 Beijing time,
    /// on the database's clock; a few minutes in the first minutes of that day: <see cref="ProviderDay.SpentUntil"/>).
    /// Logged table: a pause survives a crash or a failover. Returns the pause's end.
    /// </summary>
    public async Task<DateTimeOffset> PauseUntilProviderDayAsync(string appId, string code, string reason, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($$"""
            INSERT INTO app_pauses (app_id, until, code, reason)
            VALUES ($1, {{SpentUntilSql("statement_timestamp()")}}, $2, $3)
            ON CONFLICT (app_id) DO UPDATE SET until = GREATEST(app_pauses.until, EXCLUDED.until), code = EXCLUDED.code,
                reason = EXCLUDED.reason, paused_at = statement_timestamp()
            RETURNING until
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = appId, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = code, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reason, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.GetFieldValue<DateTimeOffset>(0);
    }

    /// <summary>
    /// Moves the appId's next free slot later by <paramref name="delay"/>: a call the provider counted late (its reply
    /// came far later than usual) shares its second with the calls after it, so those start later.
    /// </summary>
    public async Task PushAsync(string appId, TimeSpan delay, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE rate_limits SET tat = GREATEST(tat, statement_timestamp()) + $2 WHERE key = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Key(appId), NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = delay, NpgsqlDbType = NpgsqlDbType.Interval });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// A send reached the wire <paramref name="lateness"/> after its slot <paramref name="slotAt"/> (beyond what its
    /// slot allows). Its call then shares a second with the call a second's worth of slots after it, unless that one
    /// comes as much later: the slot is recorded as that late, and the slot that many places after it is given no
    /// earlier than a second's span after that. Only the one slot moves (and the later ones only as far as the spacing
    /// requires): a stall that made several sends late moves the schedule by the longest lateness, not their sum.
    /// Returns false when the slot a second later is given out already (<paramref name="slotAt"/> is no longer among the
    /// appId's recent slots): the send must take a fresh slot instead.
    /// </summary>
    /// <param name="limit">
    /// Null: record the lateness whatever it costs. Otherwise only if it moves the slot a second later back by at most
    /// one interval beyond where the schedule would give it anyway: as far as the slots already given (perSecond - 1 of
    /// them at most) and the next free slot let one see, assuming the appId stays busy. An appId sending below its rate
    /// has room, and a late send there costs nothing; in a full schedule a lateness over an interval costs more than
    /// the one slot a fresh reservation gives up.
    /// </param>
    public async Task<bool> TryExcuseAsync(string appId, DateTimeOffset slotAt, TimeSpan lateness, ExcuseLimit? limit,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE rate_limits r SET recent_counted = (
                SELECT array_agg(CASE WHEN u.slot = $2 THEN GREATEST(u.counted, $2 + $3) ELSE u.counted END ORDER BY u.n)
                FROM unnest(r.recent_slots, r.recent_counted) WITH ORDINALITY AS u(slot, counted, n))
            WHERE r.key = $1 AND $2 = ANY(r.recent_slots)
              -- Where the slot perSecond places after this one lands: the next free slot, then one interval per slot
              -- still to give before it.
              AND (NOT $6 OR $2 + $3 + $4 * $5
                  <= GREATEST(r.tat, statement_timestamp())
                     + ($5 - 1 - (cardinality(r.recent_slots) - array_position(r.recent_slots, $2))) * $4 + $4)
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Key(appId), NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = slotAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = lateness, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = limit?.Interval ?? TimeSpan.Zero, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit?.PerSecond ?? 0, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = limit is not null, NpgsqlDbType = NpgsqlDbType.Boolean });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static string Key(string appId) => $"app:{appId}";

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}

/// <summary>The appId's spacing, for <see cref="PostgresRateLimiter.TryExcuseAsync"/> to weigh what a lateness costs.</summary>
public readonly record struct ExcuseLimit(TimeSpan Interval, int PerSecond);
