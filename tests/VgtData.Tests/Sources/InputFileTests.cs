using System.Diagnostics;
using VgtData.Sources;
using VgtData.Tests.Cli;
using VgtData.Tests.Validation;
using TestPng = VgtData.Tests.Validation.Images;
using VgtData.Storage;

namespace VgtData.Tests.Sources;

/// <summary>
/// One rule for every file the program reads, not only images: a FIFO, a device or a folder where a config, base,
/// .py, data_path, prompt template, tar part, annotation or latents file is expected is refused at once with one line
/// (before: each of these hung forever, and /dev/zero as a config ran out of memory); a file over its size limit is
/// refused unread. Outside a sample the line is the command's error (exit 1); inside one it is a counted bad sample.
/// </summary>
public sealed class InputFileTests : IDisposable
{
    private readonly TempDataset _tree = new();

    public InputFileTests()
    {
        _tree.WriteFile("img/a.png", TestPng.Png(100, 100));
        _tree.WriteText("data.json", """[{"image": "img/a.png", "caption": "a square"}]""");
    }

    public void Dispose() => _tree.Dispose();

    internal static string MakeFifo(string path)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "FIFOs are made with mkfifo here");
        using (var p = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!) p.WaitForExit();
        Skip.IfNot(File.Exists(path), "mkfifo is not available");
        return path;
    }

    /// <summary>Runs the CLI apart with a deadline: the old code blocked forever on each of these files.</summary>
    internal static (int Code, string Out, string Err) RunBounded(params string[] args)
    {
        var run = Task.Run(() => CliOutcome.Run(args));
        Assert.True(run.Wait(TimeSpan.FromSeconds(60)), $"vgtdata {string.Join(' ', args)} did not end within 60 s (hang)");
        return run.Result;
    }

    private static void AssertLine((int Code, string Out, string Err) result, string line, int code = 1)
    {
        Assert.True(result.Code == code, $"exit {result.Code}, want {code}: {result.Err}");
        Assert.Equal([line], result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("vgtdata", StringComparison.Ordinal)));
        Assert.DoesNotContain("   at ", result.Out + result.Err);
    }

    [SkippableFact]
    public void FifoAsTheConfig()
    {
        var fifo = MakeFifo(_tree.PathOf("fifo.json"));
        AssertLine(RunBounded("validate", fifo), $"vgtdata validate: error: {fifo}: : not a regular file: is a FIFO (named pipe)");
    }

    [SkippableFact]
    public void DevZeroAsTheConfigIsRefusedUnread()
    {
        Skip.IfNot(File.Exists("/dev/zero"), "no /dev/zero");
        // On this thread, so its allocations are counted alone (before: 4.2 GB read, then OutOfMemoryException).
        var before = GC.GetAllocatedBytesForCurrentThread();
        AssertLine(CliOutcome.Run(["validate", "/dev/zero"]), "vgtdata validate: error: /dev/zero: : not a regular file: is a character device");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the device was read");
    }

    [SkippableFact]
    public void FifoAsABase()
    {
        var fifo = MakeFifo(_tree.PathOf("fifo.json"));
        _tree.WriteText("child.json", """{"base": "fifo.json"}""");
        AssertLine(RunBounded("validate", _tree.PathOf("child.json")),
            $"vgtdata validate: error: {_tree.PathOf("child.json")}: base: config file '{fifo}': not a regular file: is a FIFO (named pipe)");
    }

    /// <summary>A FIFO set with --set as <paramref name="key"/>; the expected line's {0} is the config, {1} the FIFO.</summary>
    [SkippableTheory]
    [InlineData("dataset.data_path", "vgtdata validate: error: {0}: dataset: {1}: not a regular file: is a FIFO (named pipe)")]
    [InlineData("prompt_template", "vgtdata validate: error: --set: prompt_template: {1}: not a regular file: is a FIFO (named pipe)")]
    public void FifoSetAsADataPathOrTemplate(string key, string line)
    {
        var config = _tree.Config();
        var fifo = MakeFifo(_tree.PathOf("fifo.json"));
        AssertLine(RunBounded("validate", config, "--set", $"{key}={fifo}"), string.Format(System.Globalization.CultureInfo.InvariantCulture, line, config, fifo));
    }

    [SkippableFact]
    public void FifoAsAVgtPyConfig()
    {
        var fifo = MakeFifo(_tree.PathOf("x.py"));
        AssertLine(RunBounded("config", "import", fifo, "--out", _tree.PathOf("out.json")),
            $"vgtdata config: {fifo}: not a regular file: is a FIFO (named pipe)");
    }

    [SkippableFact]
    public void FifoThroughReadBase()
    {
        var fifo = MakeFifo(_tree.PathOf("x.py"));
        _tree.WriteText("main.py", "from mmengine.config import read_base\nwith read_base():\n    from .x import *\n");
        AssertLine(RunBounded("config", "import", _tree.PathOf("main.py"), "--out", _tree.PathOf("out.json")),
            $"vgtdata config: {fifo}: not a regular file: is a FIFO (named pipe)");
    }

    [SkippableFact]
    public void FifoAsATarPart()
    {
        var fifo = MakeFifo(_tree.PathOf("part.tar"));
        var outDir = _tree.PathOf("out");
        AssertLine(RunBounded("extract", "--input", fifo, "--out", outDir), $"vgtdata extract: {fifo}: not a regular file: is a FIFO (named pipe)");
        Assert.False(Directory.Exists(outDir), "the refused run created its output folder");
    }

    [SkippableFact]
    public void FifoAsPreparesTarPartOrAnnotationFile()
    {
        var root = _tree.PathOf("ds");
        Directory.CreateDirectory(Path.Combine(root, "raw"));
        File.WriteAllText(Path.Combine(root, "raw", "text_to_image.json"), "[]");
        var part = MakeFifo(Path.Combine(root, "raw", "text_to_image_part_1.tar"));
        AssertLine(RunBounded("prepare", "sharegpt-4o-image", "--root", root), $"vgtdata prepare: {part}: not a regular file: is a FIFO (named pipe)");

        File.Delete(part);
        File.WriteAllBytes(part, new byte[1024]);
        File.Delete(Path.Combine(root, "raw", "text_to_image.json"));
        var annotations = MakeFifo(Path.Combine(root, "raw", "text_to_image.json"));
        AssertLine(RunBounded("prepare", "sharegpt-4o-image", "--root", root), $"vgtdata prepare: {annotations}: not a regular file: is a FIFO (named pipe)");
        Assert.False(File.Exists(Path.Combine(root, "data.json")));
    }

    [SkippableFact]
    public void FifoAsTheCephConfig()
    {
        var fifo = MakeFifo(_tree.PathOf("petreloss.conf"));
        AssertLine(RunBounded("prepare", "--root", _tree.Root, "--upload", "s3://b/p", "--ceph-config", fifo),
            $"vgtdata prepare: {fifo}: not a regular file: is a FIFO (named pipe)");
    }

    [SkippableFact]
    public void FifoAsTheTarIndexCacheIsRebuiltOver()
    {
        var part = _tree.PathOf("part.tar");
        File.WriteAllBytes(part, new Preparation.TarBuilder().File("x/1.png", [1, 2, 3]).Build());
        var cache = MakeFifo(TarIndex.CachePath([part]));
        var run = Task.Run(() => new TarImageSource([part]));
        Assert.True(run.Wait(TimeSpan.FromSeconds(60)), "opening the tar source did not end (hang)");
        using (var source = run.Result)
        {
            Assert.False(source.Index.FromCache);
            Assert.True(source.Exists("x/1.png"));
        }
        Assert.Equal(PathType.Regular, RegularFile.Examine(cache, out _));
        using var again = new TarImageSource([part]);
        Assert.True(again.Index.FromCache);
    }

    [SkippableFact]
    public void FifoAsLatentsIsABadSample()
    {
        var config = _tree.Config();
        Directory.CreateDirectory(_tree.PathOf("latents/img"));
        var fifo = MakeFifo(_tree.PathOf("latents/img/a.png.pt"));
        var result = RunBounded("validate", config, "--set", $"dataset.image_latents_folder={_tree.PathOf("latents")}");
        Assert.Equal(1, result.Code);
        Assert.Contains($"  0:0 img/a.png: unreadable latents: is a FIFO (named pipe) [{fifo}]\n", result.Out.ReplaceLineEndings("\n"));
        Assert.Contains("checked 1 entries (1 dataset): 1 bad", result.Out);
    }

    [SkippableFact]
    public void FifoAsAnAnnotationIsABadSample()
    {
        _tree.WriteText("ann.json", """[{"image": "img/a.png", "annotation": "cap.json"}]""");
        var fifo = MakeFifo(_tree.PathOf("cap.json"));
        var config = _tree.Config(dataPath: "ann.json");
        var result = RunBounded("validate", config, "--set", $"dataset.cap_folder={_tree.Root}");
        Assert.Equal(1, result.Code);
        Assert.Contains($"  0:0 img/a.png: unreadable annotation: is a FIFO (named pipe) [{fifo}]\n", result.Out.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void LoneSurrogateInAnAnnotationPathIsABadSampleNotAnotherFile()
    {
        // Before: the path was opened as "cap\uFFFD.json", a different file (here one that exists).
        _tree.WriteText("cap\uFFFD.json", """{"caption": "the wrong file"}""");
        _tree.WriteText("ann.json", """[{"image": "img/a.png", "annotation": "cap\ud800.json"}]""");
        var config = _tree.Config(dataPath: "ann.json");
        var result = RunBounded("validate", config, "--set", $"dataset.cap_folder={_tree.Root}");
        Assert.Equal(1, result.Code);
        Assert.Contains(@"  0:0 img/a.png: unreadable annotation: the path holds a lone surrogate \ud800 at character " +
            $"{_tree.Root.Length + 4}, which UTF-8 cannot encode [", result.Out);
    }

    [Fact]
    public void LoneSurrogateInAPathIsRefusedByTheOpenItself()
    {
        var path = _tree.PathOf("a\udc00.png");
        var e = Assert.Throws<SampleException>(() => RegularFile.Open(path, 1 << 20, out _));
        Assert.Equal(SampleFailureReason.MissingFile, e.Reason);
        Assert.Equal($"the path holds a lone surrogate \\udc00 at character {path.Length - 5}, which UTF-8 cannot encode", e.Detail);
        var input = Assert.Throws<UnreadableFileException>(() => RegularFile.ReadAllInput(path, FileLimit.Config));
        Assert.Equal($"{path}: missing file: the path holds a lone surrogate \\udc00 at character {path.Length - 5}, which UTF-8 cannot encode", input.Message);
    }

    [Fact]
    public void AConfigOverItsLimitIsRefusedUnread()
    {
        // A sparse file: 64 MiB + 1 byte on paper, nothing on disk.
        var big = _tree.PathOf("big.json");
        using (var f = new FileStream(big, FileMode.Create)) f.SetLength((64L << 20) + 1);
        var before = GC.GetAllocatedBytesForCurrentThread();
        AssertLine(CliOutcome.Run(["validate", big]),
            $"vgtdata validate: error: {big}: : file too large: file is 67108865 bytes, over the limit of 67108864 bytes (VGTDATA_MAX_CONFIG_MB)");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the file was read");
    }

    [Fact]
    public void LimitsNameTheirVariableAndRefuseNonsense()
    {
        var path = _tree.PathOf("eleven.json");
        File.WriteAllText(path, "{\"a\": 123}\n");
        var e = Assert.Throws<UnreadableFileException>(() => RegularFile.ReadAllInput(path, new FileLimit(10, "VGTDATA_MAX_CONFIG_MB")));
        Assert.Equal($"{path}: file too large: file is 11 bytes, over the limit of 10 bytes (VGTDATA_MAX_CONFIG_MB)", e.Message);
        Assert.Equal("{\"a\": 123}\n", RegularFile.ReadAllInputText(path, new FileLimit(11, "VGTDATA_MAX_CONFIG_MB")));

        var variable = "VGTDATA_TEST_LIMIT_" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(new FileLimit(64L << 20, variable), FileLimit.FromEnvironment(variable, 64));
        Environment.SetEnvironmentVariable(variable, "3");
        try
        {
            Assert.Equal(new FileLimit(3L << 20, variable), FileLimit.FromEnvironment(variable, 64));
            Environment.SetEnvironmentVariable(variable, "0");
            Assert.Equal($"{variable}='0': expected a whole number of MiB, at least 1",
                Assert.Throws<VgtDataException>(() => FileLimit.FromEnvironment(variable, 64)).Message);
            Environment.SetEnvironmentVariable(variable, "1e3");
            Assert.Equal($"{variable}='1e3': expected a whole number of MiB, at least 1",
                Assert.Throws<VgtDataException>(() => FileLimit.FromEnvironment(variable, 64)).Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
        Assert.Equal(new FileLimit(64L << 20, "VGTDATA_MAX_CONFIG_MB"), FileLimit.Config);
        Assert.Equal("VGTDATA_MAX_MANIFEST_MB", FileLimit.Manifest.Name);
    }

    [Fact]
    public void ExamineDoesNotFollowLinks()
    {
        var target = _tree.PathOf("img/a.png");
        var link = _tree.PathOf("link.png");
        File.CreateSymbolicLink(link, target);
        Assert.Equal(PathType.Regular, RegularFile.Examine(target, out var what));
        Assert.Equal("", what);
        Assert.Equal(PathType.Symlink, RegularFile.Examine(link, out what));
        Assert.Equal("is a symbolic link", what);
        Assert.Equal(PathType.Directory, RegularFile.Examine(_tree.PathOf("img"), out what));
        Assert.Equal("is a directory", what);
        Assert.Equal(PathType.Missing, RegularFile.Examine(_tree.PathOf("nope/x"), out _));
    }
}
