using MLNet.LowRank.Runtime;
using MLNet.LowRank.Tests.Experiments;

namespace MLNet.LowRank.Tests.Runtime;

/// <summary>The OpenMP wait policy and thread count a fresh process gives libtorch (Runtime/ThreadPolicy.cs), seen
/// through the real CLI, whose environment the test controls.</summary>
public class ThreadPolicyTests
{
    static readonly Dictionary<string, string?> Clean = new()
    {
        ["OMP_WAIT_POLICY"] = null, ["GOMP_SPINCOUNT"] = null, ["OMP_NUM_THREADS"] = null,
            ["SLURM_CPUS_PER_TASK"] = null,
    };

    /// <summary>`lowrank bench peak` on a tiny product in a fresh process with this environment; its output.</summary>
    internal static string Peak(Dictionary<string, string?> environment)
    {
        var (code,
            output) = SweepFixture.Run(Path.GetTempPath(),
            environment, "bench", "peak", "--size", "64", "--seconds", "0.05");
        code.Should().Be(0, output);
        return output;
    }

    [Fact]
    public void A_fresh_process_sets_the_passive_wait_policy_before_libtorch_loads()
    {
        Peak(Clean).Should().Contain($"{Environment.ProcessorCount} threads").And
            .Contain("set OMP_WAIT_POLICY=PASSIVE before libtorch loaded");
    }

    [Fact]
    public void A_wait_policy_the_user_set_is_kept()
    {
        Peak(new(Clean) { ["OMP_WAIT_POLICY"] = "ACTIVE" }).Should().Contain("kept the user's OMP_WAIT_POLICY=ACTIVE");
        Peak(new(Clean) { ["GOMP_SPINCOUNT"] = "1000" }).Should().Contain("kept the user's GOMP_SPINCOUNT=1000");
    }

    [Fact]
    public void A_slurm_task_gets_its_cpus_and_OMP_NUM_THREADS_wins()
    {
        Peak(new(Clean) { ["SLURM_CPUS_PER_TASK"] = "1" }).Should().Contain(" 1 threads");
        Peak(new(Clean) { ["SLURM_CPUS_PER_TASK"] = "1", ["OMP_NUM_THREADS"] = "3" }).Should().Contain(" 3 threads");
    }

    [Fact]
    public void This_process_reports_what_it_did_about_the_wait_policy()
    {
        TorchRuntime.EnsureInitialized();
        ThreadPolicy.Report.Should().NotBe("not applied");
        if (ThreadPolicy.Report.StartsWith("set", StringComparison.Ordinal))
            ThreadPolicy.NativeVariable("OMP_WAIT_POLICY").Should()
                .Be(ThreadPolicy.WaitPolicy, "libgomp reads the native environment, not .NET's copy");
    }
}
