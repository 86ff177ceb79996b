using MLNet.LowRank.Model;
using MLNet.LowRank.Training;
using TorchSharp;

namespace MLNet.LowRank.Tests.Training;

[Collection(SerialCollection.Name)]
public class MemoryTests
{
    // A leak of even one activation-sized tensor per step shows here: 180 steps × ≥ 100 KB each is ≥ 18 MB.
    const long AllowedGrowthBytes = 12L << 20;

    [Fact]
    public void Resident_memory_stays_flat_over_200_steps()
    {
        using var model = Gpt.Create(Tiny.Config(LinearVariant.Factored, 8, 8) with { ModelDim = 64,
            SequenceLength = 32 }, seed: 1);
        var rss = new Dictionary<int, long>();
        var liveTensors = new Dictionary<int, long>();
        var madeOutsideScopes = new Dictionary<int, long>();
        var progress = new Recorder(p =>
        {
            rss[p.Step] = ProcessMemory.ResidentBytes();
            liveTensors[p.Step] = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            madeOutsideScopes[p.Step] = DisposeScopeManager.Statistics.CreatedOutsideScopeCount;
        });
        var options = Tiny.Options(200) with { BatchSize = 8, ReportEvery = 10, EvalEvery = 50 };
        TrainingLoop.Train(model, Tiny.Stream(documents: 60, length: 100), Tiny.Stream(seed: 3), Tiny.BytesPerToken,
            options, progress);

        liveTensors[200].Should().Be(liveTensors[20], "a step must not leave a tensor alive");
        // A tensor made outside every dispose scope is freed by the finalizer thread, possibly while libtorch reads it.
        madeOutsideScopes[200].Should()
            .Be(madeOutsideScopes[20], "every tensor a step or an evaluation makes belongs to a dispose scope");
        long growth = rss[200] - rss[20];
        growth.Should()
            .BeLessThan(AllowedGrowthBytes, $"RSS went from {rss[20] >> 20} MB at step 20 to {rss[200] >> 20} MB at " +
            $"step 200");
    }

    sealed class Recorder(Action<TrainingProgress> onReport) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => onReport(value);
    }
}
