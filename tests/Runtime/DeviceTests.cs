using Microsoft.ML;
using MLNet.LowRank.Tests.Estimators;
using TorchSharp;

namespace MLNet.LowRank.Tests.Runtime;

public class DeviceTests
{
    [SkippableFact]
    public void GpuDeviceId_trains_on_the_GPU_where_there_is_one()
    {
        MLNet.LowRank.Runtime.TorchRuntime.EnsureInitialized();
        Skip.IfNot(torch.cuda
            .is_available(), "no CUDA device in this process (a CPU build of libtorch, or no GPU): the CPU test " +
            "below covers this machine");
        var docs = new MLContext().LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var strict = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = false };
        using var onGpu = LmPipeline.Build(strict, options: LmPipeline.Options(steps: 2)).Fit(docs).GetLanguageModel();
        onGpu.Model.Device.type.Should().Be(DeviceType.CUDA);
    }

    [SkippableFact]
    public void GpuDeviceId_without_a_GPU_fails_unless_falling_back_to_the_CPU_is_allowed()
    {
        MLNet.LowRank.Runtime.TorchRuntime.EnsureInitialized();
        Skip.If(torch.cuda.is_available(), "this machine has a GPU: the test above covers it");
        var docs = new MLContext().LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var strict = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = false };
        var act = () => LmPipeline.Build(strict, options: LmPipeline.Options(steps: 2)).Fit(docs);
        act.Should().Throw<InvalidOperationException>()
            .WithMessage("*GpuDeviceId is 0*CUDA is not available*FallbackToCpu = true*");

        var lenient = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = true };
        var model = LmPipeline.Build(lenient, options: LmPipeline.Options(steps: 2)).Fit(docs);
        model.GetLanguageModel().Model.Device.type.Should().Be(DeviceType.CPU);

        string path = Path.Combine(Path.GetTempPath(), $"device-{Guid.NewGuid():N}.zip");
        try
        {
            lenient.Model.Save(model, docs.Schema, path);
            var load = () => strict.LowRank().LoadModel(path);
            load.Should().Throw<InvalidOperationException>().WithMessage("*GpuDeviceId is 0*");
            using var loaded = lenient.LowRank().LoadModel(path).GetLanguageModel();
            loaded.Model.Device.type.Should().Be(DeviceType.CPU);
        }
        finally
        {
            File.Delete(path);
            model.GetLanguageModel().Dispose();
        }
    }
}
