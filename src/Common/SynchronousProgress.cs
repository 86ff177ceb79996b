// An IProgress<T> that calls its handler at once, on the reporting thread. .NET's Progress<T> posts each report to the
// thread pool (or the captured synchronisation context), so a console can print reports out of order or after the
// work ended; training and sweep progress wants them in order.
namespace MLNet.LowRank;

/// <summary>Reports synchronously, in order, on the thread that reports.</summary>
public sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
