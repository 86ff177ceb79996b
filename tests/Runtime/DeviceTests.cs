using Microsoft.ML;
using MLNet.LowRank.Tests.Estimators;
using TorchSharp;

namespace MLNet.LowRank.Tests.Runtime;

public class DeviceTests
{
    [Fact]
    public void GpuDeviceId_picks_the_GPU_or_falls_back_to_the_CPU_only_when_allowed()
    {
        MLNet.LowRank.Runtime.TorchRuntime.EnsureInitialized();
        var docs = new MLContext().LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var strict = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = false };
        if (torch.cuda.is_available())
        {
            using var onGpu = LmPipeline.Build(strict, options: LmPipeline.Options(steps: 2)).Fit(docs).GetLanguageModel();
            onGpu.Model.Device.type.Should().Be(DeviceType.CUDA);
            return;
        }
        var act = () => LmPipeline.Build(strict, options: LmPipeline.Options(steps: 2)).Fit(docs);
        act.Should().Throw<InvalidOperationException>().WithMessage("*GpuDeviceId is 0*CUDA is not available*FallbackToCpu = true*");

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
