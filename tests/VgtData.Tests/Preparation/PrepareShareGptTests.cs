using System.Text;
using System.Text.Json;
using VgtData.Preparation;

namespace VgtData.Tests.Preparation;

public sealed class PrepareShareGptTests
{
    internal sealed class HostileSet
    {
        public required Dictionary<string, byte[]> Images;
        public long TruncatedOffset;
        public long TruncatedEnd;
        public required string AbsoluteMember;
    }

    internal static HostileSet WriteHostileSet(TempTree t)
    {
        var images = new Dictionary<string, byte[]>
        {
            ["1.png"] = TestImages.Png(64, 64, 1),
            ["2.png"] = [],
            ["3.png"] = TestImages.Garbage(300, 3),
            ["4.png"] = TestImages.Jpeg(32, 32),
            ["5.png"] = TestImages.Png(60, 60),
            ["6.png"] = TestImages.Png(220, 20),
            ["7.png"] = TestImages.HugeHeaderPng(),
            ["8.png"] = TestImages.Png(16, 16, 8),
            ["9.png"] = TestImages.Png(16, 16, 9),
            ["10.png"] = TestImages.Png(16, 16, 10),
        };
        var absolute = Path.Combine(t.Container, "abs.png");
        var part1 = new TarBuilder()
            .File("1.png", images["1.png"])
            .File("2.png", images["2.png"])
            .File("./3.png", images["3.png"])
            .File("4.png", images["4.png"])
            .Entry("image/", '5')
            .File("image/5.png", images["5.png"])
            .File("6.png", images["6.png"])
            .File("7.png", images["7.png"])
            .File("../x.png", images["1.png"])
            .File(absolute, images["1.png"])
            .File("/outside/x.png", images["1.png"])
            .Entry("link.png", '2', "1.png")
            .Entry("hard.png", '1', "1.png")
            .Entry("dev.png", '3')
            .Entry("fifo.png", '6')
            .Build();
        var part2 = new TarBuilder()
            .File("image/1.png", TestImages.Png(64, 64, 2))
            .File("image/6.png", images["6.png"])
            .PaxFile(new string('p', 90) + "/" + new string('q', 40) + "/8.png", images["8.png"])
            .GnuLongName(new string('g', 120) + "/9.png", images["9.png"])
            .Build();
        var part3Full = new TarBuilder().File("10.png", images["10.png"]).File("11.png", TestImages.Garbage(5000, 11)).Build(endMarker: false);
        long offset = 512 + Pad(images["10.png"].Length) + 512;
        var part3 = part3Full[..(int)(offset + 1000)];
        File.WriteAllBytes(t.Raw("text_to_image_part_1.tar"), part1);
        File.WriteAllBytes(t.Raw("text_to_image_part_2.tar"), part2);
        File.WriteAllBytes(t.Raw("text_to_image_part_3.tar"), part3);

        var entries = new List<object>
        {
            Entry("a red square", "image/1.png", 64, 64),
            Entry("zero bytes", "image/2.png", 10, 10),
            Entry("garbage", "image/3.png", 10, 10),
            Entry("jpeg named png", "image/4.png", 32, 32),
            Entry("sixty", "image/5.png", 60, 60),
            Entry("eleven to one", "image/6.png", 220, 20),
            Entry("huge header", "image/7.png", 20000, 20000),
            Entry("un chat — 猫 \"quoted\"", "image/8.png", 16, 16),
            Entry("long gnu name", "9.png", 16, 16),
            Entry("  padded  ", "image/10.png", 16, 16),
            Entry("truncated in tar", "image/11.png", 16, 16),
            Entry("absent", "image/12.png", 16, 16),
            Entry(" \u001f\t\n\u3000", "image/1.png", 64, 64),
            new Dictionary<string, object?> { ["output_image"] = "image/1.png", ["output_image_resolution"] = new[] { 64, 64 } },
            new Dictionary<string, object?> { ["input_prompt"] = null, ["output_image"] = "image/1.png", ["output_image_resolution"] = new[] { 64, 64 } },
            new Dictionary<string, object?> { ["input_prompt"] = "no image", ["output_image_resolution"] = new[] { 64, 64 } },
            Entry("escaped member", "image/x.png", 16, 16),
        };
        File.WriteAllText(t.Raw("text_to_image.json"), JsonSerializer.Serialize(entries));
        return new HostileSet { Images = images, TruncatedOffset = offset, TruncatedEnd = offset + 1000, AbsoluteMember = absolute };
    }

    private static long Pad(long n) => (n + 511) / 512 * 512;

    private static Dictionary<string, object?> Entry(string prompt, string image, int w, int h) => new()
    {
        ["input_prompt"] = prompt,
        ["output_image"] = image,
        ["output_image_resolution"] = new[] { w, h },
    };

    private const string ExpectedDataJson =
        "[\n" +
        "  {\n    \"image\": \"images/1.png\",\n    \"caption\": \"a red square\",\n    \"width\": 64,\n    \"height\": 64\n  },\n" +
        "  {\n    \"image\": \"images/2.png\",\n    \"caption\": \"zero bytes\",\n    \"width\": 10,\n    \"height\": 10\n  },\n" +
        "  {\n    \"image\": \"images/3.png\",\n    \"caption\": \"garbage\",\n    \"width\": 10,\n    \"height\": 10\n  },\n" +
        "  {\n    \"image\": \"images/4.png\",\n    \"caption\": \"jpeg named png\",\n    \"width\": 32,\n    \"height\": 32\n  },\n" +
        "  {\n    \"image\": \"images/5.png\",\n    \"caption\": \"sixty\",\n    \"width\": 60,\n    \"height\": 60\n  },\n" +
        "  {\n    \"image\": \"images/6.png\",\n    \"caption\": \"eleven to one\",\n    \"width\": 220,\n    \"height\": 20\n  },\n" +
        "  {\n    \"image\": \"images/7.png\",\n    \"caption\": \"huge header\",\n    \"width\": 20000,\n    \"height\": 20000\n  },\n" +
        "  {\n    \"image\": \"images/8.png\",\n    \"caption\": \"un chat — 猫 \\\"quoted\\\"\",\n    \"width\": 16,\n    \"height\": 16\n  },\n" +
        "  {\n    \"image\": \"images/9.png\",\n    \"caption\": \"long gnu name\",\n    \"width\": 16,\n    \"height\": 16\n  },\n" +
        "  {\n    \"image\": \"images/10.png\",\n    \"caption\": \"  padded  \",\n    \"width\": 16,\n    \"height\": 16\n  },\n" +
        // VGT's script keeps a prompt of only whitespace (it tests truthiness, not strip()).
        "  {\n    \"image\": \"images/1.png\",\n    \"caption\": \" \\u001f\\t\\n\u3000\",\n    \"width\": 64,\n    \"height\": 64\n  }\n" +
        "]\n";

    private static string ExpectedReport(HostileSet set, int extracted, int skipped, int duplicates) =>
        "{\n" +
        "  \"recipe\": \"sharegpt-4o-image\",\n" +
        "  \"entries\": 17,\n" +
        "  \"written\": 11,\n" +
        "  \"omitted\": {\n" +
        "    \"missing prompt\": 2,\n" +
        "    \"missing output_image\": 1,\n" +
        "    \"input_prompt not a string\": 0,\n" +
        "    \"output_image not a string\": 0,\n" +
        "    \"output_image has no file name\": 0,\n" +
        "    \"output_image_resolution not two integers\": 0,\n" +
        "    \"not an object\": 0,\n" +
        "    \"image not in images/ or any tar\": 3\n" +
        "  },\n" +
        "  \"refused_rows\": [\n" +
        Row(10, "image not in images/ or any tar") + Row(11, "image not in images/ or any tar") + Row(13, "missing prompt") +
        Row(14, "missing prompt") + Row(15, "missing output_image") + Row(16, "image not in images/ or any tar", last: true) +
        "  ],\n" +
        "  \"refused_rows_not_listed\": 0,\n" +
        $"  \"bytes\": {set.Images.Values.Sum(i => (long)i.Length)},\n" +
        "  \"refused_members\": [\n" +
        Refused("text_to_image_part_1.tar", "../x.png", "parent traversal") +
        Refused("text_to_image_part_1.tar", set.AbsoluteMember, "absolute path") +
        Refused("text_to_image_part_1.tar", "/outside/x.png", "absolute path") +
        Refused("text_to_image_part_1.tar", "link.png", "symlink") +
        Refused("text_to_image_part_1.tar", "hard.png", "hard link") +
        Refused("text_to_image_part_1.tar", "dev.png", "device") +
        Refused("text_to_image_part_1.tar", "fifo.png", "device") +
        Refused("text_to_image_part_2.tar", "image/1.png", "name collision", last: true) +
        "  ],\n" +
        "  \"part_errors\": [\n" +
        "    {\n" +
        "      \"part\": \"text_to_image_part_3.tar\",\n" +
        $"      \"error\": \"member '11.png' is truncated: 5000 bytes declared at offset {set.TruncatedOffset}, part ends at {set.TruncatedEnd}\"\n" +
        "    }\n" +
        "  ],\n" +
        "  \"in_place\": false,\n" +
        $"  \"members\": {extracted + skipped},\n" +
        $"  \"extracted\": {extracted},\n" +
        $"  \"skipped_existing\": {skipped},\n" +
        $"  \"identical_duplicates\": {duplicates},\n" +
        "  \"parts\": 3\n" +
        "}\n";

    private static string Row(int index, string reason, bool last = false) =>
        "    {\n" +
        $"      \"row\": \"raw/text_to_image.json[{index}]\",\n" +
        $"      \"reason\": \"{reason}\"\n" +
        (last ? "    }\n" : "    },\n");

    private static string Refused(string part, string member, string reason, bool last = false) =>
        "    {\n" +
        $"      \"part\": \"{part}\",\n" +
        $"      \"member\": \"{member}\",\n" +
        $"      \"reason\": \"{reason}\"\n" +
        (last ? "    }\n" : "    },\n");

    private static readonly string[] ExpectedFiles =
    [
        "root/data.json", "root/images/1.png", "root/images/10.png", "root/images/2.png", "root/images/3.png",
        "root/images/4.png", "root/images/5.png", "root/images/6.png", "root/images/7.png", "root/images/8.png",
        "root/images/9.png", "root/prepare-report.json", "root/raw/text_to_image.json", "root/raw/text_to_image_part_1.tar",
        "root/raw/text_to_image_part_2.tar", "root/raw/text_to_image_part_3.tar",
    ];

    [Fact]
    public void HostileParts_ExactDataJson_ExactReport_NothingOutsideImages()
    {
        using var t = new TempTree();
        var set = WriteHostileSet(t);
        var report = ShareGpt4oImagePreparer.Run(t.Root, new PrepareOptions { Workers = 3, Extract = true });

        Assert.Equal(ExpectedDataJson, File.ReadAllText(Path.Combine(t.Root, "data.json")));
        Assert.Equal(ExpectedReport(set, extracted: 10, skipped: 0, duplicates: 1), File.ReadAllText(Path.Combine(t.Root, "prepare-report.json")));
        Assert.Equal(ExpectedFiles, t.AllFiles());
        // First member wins a base name; broken images are copied verbatim (prepare does not decode).
        foreach (var (name, bytes) in set.Images)
            Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(t.Root, "images", name)));
        Assert.Equal(11, report.Written);

        var summary = new StringWriter();
        report.WriteSummary(summary);
        Assert.Contains("omitted (image not in images/ or any tar): 3", summary.ToString());
        Assert.Contains("  refused raw/text_to_image.json[16]: image not in images/ or any tar", summary.ToString());
        Assert.Contains("text_to_image_part_1.tar: link.png: symlink", summary.ToString());
    }

    [Fact]
    public void Rerun_IsIdempotent_SkipsCompleteFiles_RedoesWrongSizedOnes()
    {
        using var t = new TempTree();
        var set = WriteHostileSet(t);
        ShareGpt4oImagePreparer.Run(t.Root, new PrepareOptions { Workers = 2, Extract = true });
        var dataJson = File.ReadAllText(Path.Combine(t.Root, "data.json"));

        File.WriteAllBytes(Path.Combine(t.Root, "images", "5.png"), [1, 2, 3]); // wrong size: redone
        Directory.CreateDirectory(Path.Combine(t.Root, "images", ".vgtdata-tmp"));
        File.WriteAllBytes(Path.Combine(t.Root, "images", ".vgtdata-tmp", "100000003.part"), [1]); // a killed run's leftover
        ShareGpt4oImagePreparer.Run(t.Root, new PrepareOptions { Workers = 1, Extract = true });

        Assert.Equal(dataJson, File.ReadAllText(Path.Combine(t.Root, "data.json")));
        Assert.Equal(ExpectedReport(set, extracted: 1, skipped: 9, duplicates: 1), File.ReadAllText(Path.Combine(t.Root, "prepare-report.json")));
        Assert.Equal(ExpectedFiles, t.AllFiles());
        Assert.Equal(set.Images["5.png"], File.ReadAllBytes(Path.Combine(t.Root, "images", "5.png")));
    }

    [Fact]
    public void Interrupted_Then_Resumed_MatchesUninterruptedRun_ByteForByte()
    {
        using var a = new TempTree();
        using var b = new TempTree();
        foreach (var t in new[] { a, b })
        {
            var entries = new List<object>();
            for (int p = 1; p <= 3; p++)
            {
                var tar = new TarBuilder();
                for (int i = 0; i < 12; i++)
                {
                    var name = $"{p * 100 + i}.png";
                    tar.File("image/" + name, TestImages.Garbage(150_000 + i * 1000, p * 100 + i));
                    entries.Add(Entry($"prompt {name}", "image/" + name, 8, 8));
                }
                File.WriteAllBytes(t.Raw($"text_to_image_part_{p}.tar"), tar.Build());
            }
            File.WriteAllText(t.Raw("text_to_image.json"), JsonSerializer.Serialize(entries));
        }

        ShareGpt4oImagePreparer.Run(a.Root, new PrepareOptions { Workers = 2, Extract = true });

        using var cts = new CancellationTokenSource();
        int written = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => ShareGpt4oImagePreparer.Run(b.Root, new PrepareOptions
        {
            Workers = 2,
            Extract = true,
            Cancellation = cts.Token,
            AfterFileWritten = () => { if (Interlocked.Increment(ref written) == 5) cts.Cancel(); },
        }));
        var partialImages = Directory.GetFiles(Path.Combine(b.Root, "images"));
        Assert.InRange(partialImages.Length, 5, 35);
        Assert.False(File.Exists(Path.Combine(b.Root, "data.json")));
        // Whatever is under a final name is complete.
        foreach (var f in partialImages)
            Assert.Equal(File.ReadAllBytes(Path.Combine(a.Root, "images", Path.GetFileName(f))), File.ReadAllBytes(f));

        var report = ShareGpt4oImagePreparer.Run(b.Root, new PrepareOptions { Workers = 2, Extract = true });
        Assert.Equal(partialImages.Length, report.Extraction.SkippedExisting);
        Assert.Equal(36 - partialImages.Length, report.Extraction.Extracted);

        Assert.Equal(Tree(a.Root), Tree(b.Root));
        Assert.Equal(File.ReadAllBytes(Path.Combine(a.Root, "data.json")), File.ReadAllBytes(Path.Combine(b.Root, "data.json")));
    }

    private static List<(string, string)> Tree(string root) =>
        Directory.EnumerateFiles(Path.Combine(root, "images"), "*", SearchOption.AllDirectories)
            .Select(f => (Path.GetRelativePath(root, f), Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))))
            .OrderBy(x => x.Item1, StringComparer.Ordinal).ToList();

    [Fact]
    public void BlankPrompt_FollowsPythonStrip()
    {
        Assert.True(VgtData.Text.PythonString.Strip("").Length == 0);
        Assert.True(VgtData.Text.PythonString.Strip(" \t\r\n\v\f\u001c\u001d\u001e\u001f\u0085\u00a0\u2028\u3000").Length == 0);
        Assert.False(VgtData.Text.PythonString.Strip("\u200b").Length == 0);
        Assert.False(VgtData.Text.PythonString.Strip(" a ").Length == 0);
    }

    [Fact]
    public void Cli_MissingOrBrokenAnnotations_FailsNamingTheFile_ElseExitsZero()
    {
        using var t = new TempTree();
        File.WriteAllBytes(t.Raw("text_to_image_part_1.tar"), new TarBuilder().File("1.png", TestImages.Png(8, 8)).Build());
        var (code, _, err) = RunCli("prepare", "sharegpt-4o-image", "--root", t.Root);
        Assert.Equal(1, code);
        Assert.Contains("raw/text_to_image.json", err);

        File.WriteAllText(t.Raw("text_to_image.json"), "[{\"input_prompt\": ");
        (code, _, err) = RunCli("prepare", "sharegpt-4o-image", "--root", t.Root);
        Assert.Equal(1, code);
        Assert.Contains("text_to_image.json is not valid JSON", err);
        Assert.False(File.Exists(Path.Combine(t.Root, "data.json")));

        File.WriteAllText(t.Raw("text_to_image.json"), "[{\"input_prompt\": \"x\", \"output_image\": \"image/1.png\", \"output_image_resolution\": [8, 8]}, {\"input_prompt\": \"y\", \"output_image\": \"image/2.png\", \"output_image_resolution\": [8, 8]}]");
        string output;
        (code, output, err) = RunCli("prepare", "sharegpt-4o-image", "--root", t.Root, "--extract", "--workers", "2");
        Assert.Equal(0, code);
        Assert.Contains("entries: 2, written to data.json: 1", output);
        Assert.Contains("omitted (image not in images/ or any tar): 1", output);
        Assert.Contains("extract: 1 files", err);
    }

    internal static (int Code, string Out, string Err) RunCli(params string[] args) => Fixtures.CliRun.Run(args);
}
