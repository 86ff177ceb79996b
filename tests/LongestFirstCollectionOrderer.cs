// The order in which the test collections start: the longest streams first. With three collections at a time, a long
// stream that starts late ends late: the study's smoke run (the suite's longest test) waited 19 s behind in-process
// classes in the default order, and every one of those seconds was added to the suite's wall time. The serial
// collection runs after all of these whatever its place (it disables parallelism).
using Xunit;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer("MLNet.LowRank.Tests.LongestFirstCollectionOrderer", "MLNet.LowRank.Tests")]

namespace MLNet.LowRank.Tests;

public sealed class LongestFirstCollectionOrderer : ITestCollectionOrderer
{
    static readonly string[] First = [SecondChildProcessCollection.Name, ChildProcessCollection.Name];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(c => Array.IndexOf(First, c.DisplayName) is int i && i >= 0 ? i : First.Length)
            .ThenBy(c => c.DisplayName, StringComparer.Ordinal);
}
