// A clock for tests of time budgets: it moves only when read (by a fixed tick each read) or when a test moves it, so a
// "one-second" run is the same sixteen steps on an idle laptop and under two CPU hogs.
namespace MLNet.LowRank.Tests;

/// <summary>A <see cref="TimeProvider"/> whose timestamps advance by <paramref name="tick"/> at every read: the
/// training loop reads once before and once after a step, so every step lasts exactly one tick.</summary>
sealed class SteppingClock(TimeSpan tick) : TimeProvider
{
    long now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Add(ref now, tick.Ticks) - tick.Ticks;

    /// <summary>Moves the clock on, as a slow evaluation or a pause would.</summary>
    public void Advance(TimeSpan by) => Interlocked.Add(ref now, by.Ticks);
}
