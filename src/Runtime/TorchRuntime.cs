// Makes sure TorchSharp's native backend is loaded before any tensor is made.
// TorchSharp 0.107's libLibTorchSharp.so was linked by GCC 13 and needs GLIBCXX_3.4.32 from libstdc++ only for a
// reference-only symbol; older systems (Debian 12 stops at 3.4.30) refuse to load it, and TorchSharp then reports,
// misleadingly, a missing libtorch package. Where (and only where) the loader names a missing GLIBCXX/CXXABI version,
// we mark that need weak in the copy of the library in the application's own folder (never the NuGet cache), replacing
// the file atomically, and load again.
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using TorchSharp;

namespace MLNet.LowRank.Runtime;

/// <summary>Loads TorchSharp's native backend, repairing the libstdc++ version need where the system needs
/// it.</summary>
public static partial class TorchRuntime
{
    static readonly object Gate = new();
    static bool _initialized;

    /// <summary>The default device: the first GPU in a <c>-p:TorchBackend=cuda</c> build when CUDA is available, else
    /// the CPU.</summary>
    public static torch.Device Device
    {
        get
        {
            EnsureInitialized();
#if TORCH_CUDA
            if (torch.cuda.is_available()) return torch.CUDA;
#endif
            return torch.CPU;
        }
    }

    /// <summary>The device chosen at run time the way ML.NET's TorchSharp trainers choose it:
    /// <c>MLContext.GpuDeviceId</c> = n asks for GPU n; if CUDA is not available (a CPU build of libtorch, or no GPU)
    /// the CPU is used when <c>MLContext.FallbackToCpu</c> is true, and otherwise this fails, saying what to change. No
    /// GPU asked for: <see cref="Device"/>.</summary>
    /// <exception cref="InvalidOperationException">A GPU was asked for, is not available, and falling back is
    /// off.</exception>
    public static torch.Device DeviceFor(Microsoft.ML.Runtime.IHostEnvironment? environment)
    {
        EnsureInitialized();
        if (environment is not Microsoft.ML.MLContext { GpuDeviceId: int id } ml) return Device;
        bool cuda = torch.cuda.is_available();
        if (cuda && id >= 0 && id < torch.cuda.device_count()) return new torch.Device(DeviceType.CUDA, id);
        if (ml.FallbackToCpu) return torch.CPU;
        string why = !cuda
            ? "CUDA is not available to this process (the application references the CPU build of libtorch, or the " +
            "machine has no usable NVIDIA GPU)"
            : $"this machine has {torch.cuda.device_count()} CUDA device(s), numbered from 0";
        throw new InvalidOperationException(
            $"MLContext.GpuDeviceId is {id}, but {why}. Build the application with the CUDA backend " +
            $"(-p:TorchBackend=cuda, which references TorchSharp-cuda-*) and run it on a GPU machine, choose an " +
            $"existing device, or set MLContext.FallbackToCpu = true to train on the CPU.");
    }

    /// <summary>What the last initialisation did: "loaded as shipped" or the versions it marked weak.</summary>
    public static string LoadReport { get; private set; } = "not initialised";

    /// <summary>Loads the native backend once per process; later calls return at once.</summary>
    /// <exception cref="InvalidOperationException">The backend cannot be loaded; the message says why and what to
    /// do.</exception>
    public static void EnsureInitialized()
    {
        if (_initialized) return;
        lock (Gate)
        {
            if (_initialized) return;
            if (OperatingSystem.IsLinux()) PrepareLinuxLibrary();
#if TORCH_CUDA
            torch.InitializeDeviceType(DeviceType.CUDA);
#else
            torch.InitializeDeviceType(DeviceType.CPU);
#endif
            // libtorch's own default is every core it detects; a process limited to fewer (affinity, cgroups, a Slurm
            // task) gets those.
            int threads = ThreadPolicy.DefaultThreads();
            if (torch.get_num_threads() != threads) torch.set_num_threads(threads);
            MemoryPolicy.Apply();
            _initialized = true;
        }
    }

    static void PrepareLinuxLibrary()
    {
        string? path = FindLibTorchSharp();
        if (path is null)
        {
            LoadReport = "libLibTorchSharp.so not found beside the application; left to TorchSharp's own probing";
            return;
        }

        var weakened = new List<string>();
        for (int attempt = 0; attempt < 8; attempt++)
        {
            string? error = TryLoad(path);
            if (error is null)
            {
                LoadReport = weakened.Count == 0
                    ? $"loaded as shipped: {path}" : $"marked {string.Join(", ", weakened)} weak in {path}";
                return;
            }
            var missing = MissingVersion().Matches(error).Select(m => m.Groups[1].Value)
                .Where(v => v.StartsWith("GLIBCXX_", StringComparison.Ordinal) || v.StartsWith("CXXABI_",
                StringComparison.Ordinal))
                .Distinct().ToList();
            if (missing.Count == 0 || missing.All(weakened.Contains))
                throw new InvalidOperationException($"TorchSharp's native library {path} does not load: {error}");
            if (IsInsideNuGetCache(path))
                throw new InvalidOperationException(
                    $"{path} needs {string.Join(", ", missing)} from libstdc++, which this system lacks, and it is " +
                    $"loaded straight from the NuGet cache, which this project never edits. Run from a built output " +
                    $"folder (dotnet build / dotnet run) so the library is copied beside the application.");
            PatchAtomically(path, missing);
            weakened.AddRange(missing);
        }
        throw new InvalidOperationException($"TorchSharp's native library {path} still does not load after " +
            $"marking {string.Join(", ", weakened)} weak.");
    }

    /// <summary>The libLibTorchSharp.so that .NET would load for this application, or null.</summary>
    static string? FindLibTorchSharp()
    {
        string baseDir = AppContext.BaseDirectory;
        string[] candidates =
        [
            Path.Combine(baseDir, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
            Path.Combine(baseDir, "libLibTorchSharp.so"),
        ];
        return candidates.FirstOrDefault(File.Exists);
    }

    static string? TryLoad(string path)
    {
        try
        {
            NativeLibrary.Load(path);
            return null;
        }
        catch (DllNotFoundException e)
        {
            return e.Message;
        }
    }

    static bool IsInsideNuGetCache(string path) =>
        path.Replace('\\', '/').Contains("/.nuget/packages/", StringComparison.OrdinalIgnoreCase);

    /// <summary>Writes a patched copy beside the file and renames it over, so a crash never leaves half a library and a
    /// hard link into another folder (such as a package cache) is never edited through.</summary>
    static void PatchAtomically(string path, IReadOnlyCollection<string> versions)
    {
        byte[] bytes = File.ReadAllBytes(path);
        // Nothing left to mark: another process starting at the same moment (a job array's tasks, parallel test runs)
        // patched the file between this one's failed load and its read. The caller loads again.
        if (ElfVersionNeeds.MarkWeak(bytes, versions) == 0) return;
        string temp = path + $".patch-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
        catch (UnauthorizedAccessException e)
        {
            File.Delete(temp);
            throw new InvalidOperationException(
                $"{path} needs {string.Join(", ", versions)} from libstdc++, which this system lacks, and its folder " +
                $"is not writable to repair it ({e.Message}). Make the application folder writable once, or install " +
                $"a libstdc++ from GCC 13 or newer.", e);
        }
    }

    [GeneratedRegex(@"version `([A-Za-z0-9_.]+)' not found")]
    private static partial Regex MissingVersion();
}
