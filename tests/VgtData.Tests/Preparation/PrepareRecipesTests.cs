using System.IO.Compression;
using System.Text.Json.Nodes;
using VgtData.Preparation;

namespace VgtData.Tests.Preparation;

/// <summary>
/// <c>vgtdata prepare NAME</c> per VGT recipe: a replica of the download exactly as the recipe's doc lays it out, one
/// prepare line, VGT's own "Set config" block (read from its doc in ../shared/vgt-docs) imported unchanged, every sample
/// loaded with none bad. The expected data.json texts are what VGT's pasted process_metadata.py wrote (run with Python
/// on the same replica).
/// </summary>
public sealed class PrepareRecipesTests
{
    private static (int Code, string Out, string Err) Cli(params string[] args) => PrepareShareGptTests.RunCli(args);

    private static byte[] U(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    [Fact]
    public void List_PrintsEveryRecipeOnALine_UnknownNameListsTheKnownOnes()
    {
        var (code, output, err) = Cli("prepare", "--list");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Equal(
            "sharegpt-4o-image  raw/text_to_image.json to data.json, images/NAME read from raw/text_to_image_part_*.tar in place (images.tarparts.json; --extract: unpacked to images/) (finetune)\n" +
            "echo-4o-image      the t2i rows of the two jsonl files to data.json; raw/*/images/*.tar.gz need --extract (unpacked to images/) (finetune)\n" +
            "blip3o-60k         data.json kept as downloaded, else written from raw/*.tar (.jpg + .txt); --extract: each part to raw/PART/ (finetune)\n" +
            "text-to-image-2m   data/data_*.json kept, else written from raw/data_*/*.tar (.jpg + .json); --extract: each part to raw/data_*/PART/\n" +
            "laion-6m           img2dataset folders raw/NNNNNNNN/*.jpg + .json paired into data.json, read in place (pretrain)\n" +
            "redcaps-5m         img2dataset folders raw/NNNNNNNN/*.jpg + .json paired into data.json, read in place (pretrain)\n" +
            "megalith-10m       megalith10m_all.json kept, else written from raw/*.tar + captions/*.tar (PART/KEY.json); --extract: raw/PART/, captions/PART/ (pretrain)\n" +
            "cc12m              data.json kept, else written from raw/*-NNNN.tar + captions/*.tar (NNNN/KEY.json); --extract: raw/NNNN/, captions/NNNN/ (pretrain)\n" +
            "midjourney-23m     the rows of raw/table-*.parquet with their image to data.json, images/ read from raw/images/**/*.tar in place (images.tarparts.json; --extract: unpacked to images/) (pretrain)\n" +
            "imagenet1k-t2i     raw/*.parquet rows to data.json as extract.py names them, images read from the parquet in place (--extract: PNGs in images/)\n",
            output.Replace("\r\n", "\n"));

        using var t = new RecipeTree("x");
        (code, output, err) = Cli("prepare", "no-such-set", "--root", t.Root);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal("vgtdata prepare: unknown dataset 'no-such-set' (known: sharegpt-4o-image, echo-4o-image, blip3o-60k, text-to-image-2m, laion-6m, redcaps-5m, megalith-10m, cc12m, midjourney-23m, imagenet1k-t2i) (see: vgtdata prepare --help)",
            err.Trim());
        Assert.Empty(Directory.EnumerateFileSystemEntries(t.Root));
    }

    // ---- sharegpt-4o-image -------------------------------------------------------------------------------------

    /// <summary>Entries VGT's script keeps although the old prepare dropped them (no resolution, a prompt of spaces,
    /// a resolution of three numbers, floats and strings for int()), and ones it drops.</summary>
    internal const string ShareGptEntries = """
        [
         {"input_prompt": "a cat", "output_image": "image/1.png", "output_image_resolution": [96, 96]},
         {"input_prompt": "no resolution", "output_image": "image/2.png"},
         {"input_prompt": "   ", "output_image": "image/3.png", "output_image_resolution": [96, 96]},
         {"input_prompt": "three numbers", "output_image": "image/4.png", "output_image_resolution": [96, 96, 3]},
         {"input_prompt": "floats", "output_image": "image/5.png", "output_image_resolution": [96.7, 100.2]},
         {"input_prompt": "strings", "output_image": "image/1.png", "output_image_resolution": ["96", " 100 "]},
         {"input_prompt": "", "output_image": "image/2.png", "output_image_resolution": [96, 96]},
         {"input_prompt": null, "output_image": "image/3.png", "output_image_resolution": [96, 96]},
         {"input_prompt": "no image", "output_image": "", "output_image_resolution": [96, 96]},
         {"input_prompt": "absent", "output_image": "image/99.png", "output_image_resolution": [96, 96]},
         {"input_prompt": "backslash", "output_image": "image\\4.png", "output_image_resolution": [96, 96]},
         {"input_prompt": "nested", "output_image": "a/b/c/4.png", "output_image_resolution": [96, 96]},
         {"input_prompt": "empty resolution", "output_image": "image/5.png", "output_image_resolution": []},
         {"input_prompt": "null resolution", "output_image": "image/5.png", "output_image_resolution": null},
         {"input_prompt": "\t\n", "output_image": "image/2.png", "output_image_resolution": [64, 80]},
         {"output_image": "image/1.png", "output_image_resolution": [96, 96]},
         {"input_prompt": "un chat — 猫", "output_image": "3.png", "output_image_resolution": [96, 96]}
        ]
        """;

    /// <summary>What VGT's process_metadata.py wrote for <see cref="ShareGptEntries"/> with 1-5.png in images/.</summary>
    private const string ShareGptVgtDataJson = """
        [
          {
            "image": "images/1.png",
            "caption": "a cat",
            "width": 96,
            "height": 96
          },
          {
            "image": "images/2.png",
            "caption": "no resolution"
          },
          {
            "image": "images/3.png",
            "caption": "   ",
            "width": 96,
            "height": 96
          },
          {
            "image": "images/4.png",
            "caption": "three numbers"
          },
          {
            "image": "images/5.png",
            "caption": "floats",
            "width": 96,
            "height": 100
          },
          {
            "image": "images/1.png",
            "caption": "strings",
            "width": 96,
            "height": 100
          },
          {
            "image": "images/4.png",
            "caption": "nested",
            "width": 96,
            "height": 96
          },
          {
            "image": "images/5.png",
            "caption": "empty resolution"
          },
          {
            "image": "images/5.png",
            "caption": "null resolution"
          },
          {
            "image": "images/2.png",
            "caption": "\t\n",
            "width": 64,
            "height": 80
          },
          {
            "image": "images/3.png",
            "caption": "un chat — 猫",
            "width": 96,
            "height": 96
          }
        ]
        """;

    internal static void WriteShareGptParts(RecipeTree t)
    {
        t.Write("raw/text_to_image_part_0.tar", new TarBuilder()
            .File("1.png", TestImages.Png(96, 96, 1)).File("2.png", TestImages.Png(96, 112, 2)).File("3.png", TestImages.Png(112, 96, 3)).Build());
        t.Write("raw/text_to_image_part_1.tar", new TarBuilder()
            .File("4.png", TestImages.Png(100, 100, 4)).File("5.png", TestImages.Png(96, 100, 5)).Build());
    }

    [SkippableFact]
    public void ShareGpt_KeepsExactlyVgtsRows_ThenVgtsConfigLoadsEverySample()
    {
        using var t = new RecipeTree("sharegpt-4o-image");
        WriteShareGptParts(t);
        t.Write("raw/text_to_image.json", ShareGptEntries);

        var (code, output, err) = Cli("prepare", "sharegpt-4o-image", "--root", t.Root, "--extract");
        Assert.True(code == 0, err);
        Assert.Contains("entries: 17, written to data.json: 11", output);
        Assert.Equal(ShareGptVgtDataJson.ReplaceLineEndings("\n") + "\n", File.ReadAllText(Path.Combine(t.Root, "data.json")));
        var report = t.Report();
        Assert.Equal(
            """[{"row":"raw/text_to_image.json[6]","reason":"missing prompt"},{"row":"raw/text_to_image.json[7]","reason":"missing prompt"},""" +
            """{"row":"raw/text_to_image.json[8]","reason":"missing output_image"},{"row":"raw/text_to_image.json[9]","reason":"image not in images/ or any tar"},""" +
            """{"row":"raw/text_to_image.json[10]","reason":"image not in images/ or any tar"},{"row":"raw/text_to_image.json[15]","reason":"missing prompt"}]""",
            RecipeTree.Rows(report["refused_rows"]));
        Assert.Contains("  refused raw/text_to_image.json[10]: image not in images/ or any tar", output);

        // Every row VGT keeps loads, but two prompts of only whitespace: VGT trains on "Generate an image: ", the loader
        // counts a caption empty after strip() as a bad sample (docs/vgt-datasets.md says so).
        var config = t.ImportConfig(RecipeTree.DocConfig("sharegpt_4o_image_45k.md"));
        RecipeTree.AssertLoads(config, 11, "2 blank caption", "9 blank caption");
    }

    [Fact]
    public void ShareGpt_RowsVgtsScriptWouldStopOn_AreRefusedAndListed()
    {
        using var t = new RecipeTree("sharegpt-4o-image");
        WriteShareGptParts(t);
        t.Write("raw/text_to_image.json", """
            [
             "a string",
             {"input_prompt": 5, "output_image": "image/1.png"},
             {"input_prompt": "x", "output_image": 7},
             {"input_prompt": "x", "output_image": "image/1.png", "output_image_resolution": [null, 1]},
             {"input_prompt": "x", "output_image": "image/"},
             {"input_prompt": "x", "output_image": "image/1.png", "output_image_resolution": 12},
             {"input_prompt": "x", "output_image": "image/1.png", "output_image_resolution": ["1_0", "-2"]}
            ]
            """);
        var report = ShareGpt4oImagePreparer.Run(t.Root, new PrepareOptions { Workers = 1, Extract = true });
        Assert.Equal(1, report.Written);
        Assert.Equal("""[{"image":"images/1.png","caption":"x","width":10,"height":-2}]""", RecipeTree.Rows(t.DataJson()));
        Assert.Equal(
            """[{"row":"raw/text_to_image.json[0]","reason":"not an object"},{"row":"raw/text_to_image.json[1]","reason":"input_prompt not a string"},""" +
            """{"row":"raw/text_to_image.json[2]","reason":"output_image not a string"},{"row":"raw/text_to_image.json[3]","reason":"output_image_resolution not two integers"},""" +
            """{"row":"raw/text_to_image.json[4]","reason":"output_image has no file name"},{"row":"raw/text_to_image.json[5]","reason":"output_image_resolution not two integers"}]""",
            RecipeTree.Rows(t.Report()["refused_rows"]));
        Assert.Equal(2, t.Report()["omitted"]!["output_image_resolution not two integers"]!.GetValue<int>());
    }

    // ---- laion-6m / redcaps-5m -----------------------------------------------------------------------------------

    private static string Annotation(string caption) =>
        $$"""{"url": "https://example.com/x.jpg", "caption": "orig", "re_caption": {{System.Text.Json.JsonSerializer.Serialize(caption)}}, "key": "0", "status": "success", "width": 96, "height": 112}""";

    /// <summary>img2dataset's output as laion6m.md / redcaps5m.md draw it, with what a real run also leaves: failed
    /// downloads (json only), .txt captions, per-shard parquet and stats files.</summary>
    internal static void WriteImg2Dataset(RecipeTree t)
    {
        t.Write("parquets/part-00000.parquet", "PAR1 (not read)");
        t.Write("raw/00000000.parquet", "PAR1");
        t.Write("raw/00000000_stats.json", "{}");
        t.Write("raw/00000000/00000001.jpg", TestImages.Jpeg(96, 112));
        t.Write("raw/00000000/00000001.json", Annotation("a lighthouse at dusk"));
        t.Write("raw/00000000/00000001.txt", "orig");
        t.Write("raw/00000000/00000002.jpg", TestImages.Jpeg(120, 96));
        t.Write("raw/00000000/00000002.json", Annotation("  un phare — 灯塔  "));
        t.Write("raw/00000000/00000003.json", """{"url": "https://example.com/y.jpg", "status": "failed_to_download"}""");
        t.Write("raw/00000000/00000004.jpg", TestImages.Jpeg(96, 96));
        t.Write("raw/00000001/00010000.jpg", TestImages.Jpeg(96, 96));
        t.Write("raw/00000001/00010000.json", Annotation("third"));
        t.Write("raw/00000001/00010001.jpg", TestImages.Jpeg(96, 96));
        t.Write("raw/00000001/00010001.json", """{"caption": "no recaption"}""");
        t.Write("raw/00000001/00010002.jpg", TestImages.Jpeg(96, 96));
        t.Write("raw/00000001/00010002.json", "{not json");
    }

    [SkippableTheory]
    [InlineData("laion-6m", "laion6m")]
    [InlineData("redcaps-5m", "redcaps5m")]
    public void Img2Dataset_PairsWrittenAsTheRecipeSays_ThenVgtsConfigLoadsEverySample(string recipe, string folder)
    {
        using var t = new RecipeTree(folder);
        WriteImg2Dataset(t);
        var (code, output, err) = Cli("prepare", recipe, "--root", t.Root, "--workers", "2");
        Assert.True(code == 0, err);
        Assert.Contains("entries: 7, written to data.json: 3", output);
        Assert.Contains($"{recipe}: 3 pairs, 2/2 folders", err);
        Assert.Equal("""
            [
              {
                "image": "00000000/00000001.jpg",
                "annotation": "00000000/00000001.json"
              },
              {
                "image": "00000000/00000002.jpg",
                "annotation": "00000000/00000002.json"
              },
              {
                "image": "00000001/00010000.jpg",
                "annotation": "00000001/00010000.json"
              }
            ]

            """.ReplaceLineEndings("\n"), File.ReadAllText(Path.Combine(t.Root, "data.json")));
        var report = t.Report();
        Assert.Equal(
            """[{"row":"00000000/00000003.json","reason":".json without image"},{"row":"00000000/00000004.jpg","reason":"image without .json"},""" +
            """{"row":"00000001/00010001.json","reason":"annotation has no string re_caption"},{"row":"00000001/00010002.json","reason":"annotation not a JSON object"}]""",
            RecipeTree.Rows(report["refused_rows"]));
        long bytes = new[] { "00000000/00000001", "00000000/00000002", "00000001/00010000" }
            .Sum(k => new FileInfo(Path.Combine(t.Root, "raw", k + ".jpg")).Length + new FileInfo(Path.Combine(t.Root, "raw", k + ".json")).Length);
        Assert.Equal(bytes, report["bytes"]!.GetValue<long>());
        Assert.Null(report["extracted"]);

        var config = t.ImportConfig(RecipeTree.DocConfig($"{folder}.md"));
        RecipeTree.AssertLoads(config, 3);
    }

    [Fact]
    public void Img2Dataset_InterruptedRunWritesNothing_RerunWritesTheSameFile()
    {
        using var t = new RecipeTree("laion6m");
        WriteImg2Dataset(t);
        Img2DatasetPreparer.Run(Img2DatasetPreparer.Laion6m, t.Root, new PrepareOptions { Workers = 1 });
        var first = File.ReadAllBytes(Path.Combine(t.Root, "data.json"));
        File.Delete(Path.Combine(t.Root, "data.json"));

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Img2DatasetPreparer.Run(Img2DatasetPreparer.Laion6m, t.Root, new PrepareOptions { Workers = 2, Cancellation = cts.Token }));
        Assert.False(File.Exists(Path.Combine(t.Root, "data.json")));
        Assert.False(File.Exists(Path.Combine(t.Root, RootLock.FileName)));

        Img2DatasetPreparer.Run(Img2DatasetPreparer.Laion6m, t.Root, new PrepareOptions { Workers = 2 });
        Assert.Equal(first, File.ReadAllBytes(Path.Combine(t.Root, "data.json")));
    }

    [Fact]
    public void Img2Dataset_WithoutRaw_OneLineNamingIt()
    {
        using var t = new RecipeTree("redcaps5m");
        var (code, output, err) = Cli("prepare", "redcaps-5m", "--root", t.Root);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal($"vgtdata prepare: {Path.Combine(t.Root, "raw")}: no such folder (expected img2dataset's output folders, raw/00000000/00000001.jpg + .json)",
            err.Trim());
    }

    // ---- echo-4o-image -------------------------------------------------------------------------------------------

    private const string EchoInstructionJsonl = """
        {"task_type": "t2i", "output_image": "/Echo-4o-Image/Instruction-Following-Image/images/101.jpg", "instruction": "a red fox", "type": "instruction"}
        {"task_type": "edit", "output_image": "/Echo-4o-Image/Instruction-Following-Image/images/102.png", "instruction": "make it blue", "type": "instruction"}
        {"task_type": "t2i", "output_image": "/Echo-4o-Image/Instruction-Following-Image/images/102.jpg", "instruction": "found by another extension", "type": "instruction"}
        {"task_type": "t2i", "output_image": "/Echo-4o-Image/Instruction-Following-Image/images/103.jpg", "instruction": "not downloaded", "type": "instruction"}
        {"task_type": "t2i", "output_image": "101.jpg"}
        {"task_type": "t2i", "output_image": "", "instruction": "no image"}

        """;

    private const string EchoConflictJsonl = """
        {"task_type": "t2i", "output_image": "/Echo-4o-Image/Surrel-Fantasy-Image/images/201.jpg", "instruction": "a clock melting — 时钟", "type": "surreal"}
        {"task_type": "t2i", "output_image": "/Echo-4o-Image/Surrel-Fantasy-Image/images/202.jpg", "instruction": "  spaced  ", "type": null}
        {"output_image": "/Echo-4o-Image/Surrel-Fantasy-Image/images/201.jpg", "instruction": "no task type"}

        """;

    /// <summary>What VGT's process_metadata.py wrote for the two jsonl files above with 101.jpg, 102.png, 201.jpg and
    /// 202.jpg in images/.</summary>
    private const string EchoVgtDataJson = """
        [
          {
            "image": "images/101.jpg",
            "caption": "a red fox",
            "type": "instruction"
          },
          {
            "image": "images/102.png",
            "caption": "found by another extension",
            "type": "instruction"
          },
          {
            "image": "images/101.jpg",
            "caption": "",
            "type": ""
          },
          {
            "image": "images/201.jpg",
            "caption": "a clock melting — 时钟",
            "type": "surreal"
          },
          {
            "image": "images/202.jpg",
            "caption": "  spaced  ",
            "type": null
          }
        ]
        """;

    private static byte[] Gzip(byte[] tar)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(tar);
        return ms.ToArray();
    }

    internal static void WriteEcho(RecipeTree t, string extraConflictLines = "")
    {
        t.Write("raw/Instruction-Following-Image/images/0.tar.gz", Gzip(new TarBuilder()
            .File("101.jpg", TestImages.Jpeg(96, 96)).File("102.png", TestImages.Png(96, 120, 7)).Build()));
        t.Write("raw/Surrel-Fantasy-Image/images/0.tar.gz", Gzip(new TarBuilder().File("201.jpg", TestImages.Jpeg(112, 96)).Build()));
        t.Write("raw/Surrel-Fantasy-Image/images/1.tar.gz", Gzip(new TarBuilder().File("202.jpg", TestImages.Jpeg(96, 96)).Build()));
        t.Write("raw/Instruction-Following-Image/Instruction-Following-Image.jsonl", EchoInstructionJsonl.ReplaceLineEndings("\n"));
        t.Write("raw/Surrel-Fantasy-Image/conflict.jsonl", EchoConflictJsonl.ReplaceLineEndings("\n") + extraConflictLines);
    }

    [SkippableFact]
    public void Echo_UnpacksTheTarGzPartsAndKeepsVgtsRows_ThenVgtsConfigLoadsEverySample()
    {
        using var t = new RecipeTree("echo-4o-image");
        WriteEcho(t);
        var (code, output, err) = Cli("prepare", "echo-4o-image", "--root", t.Root, "--extract", "--workers", "2");
        Assert.True(code == 0, err);
        Assert.Contains("entries: 9, written to data.json: 5", output);
        Assert.Contains("parts: 3, extracted: 4, skipped existing: 0", output);
        Assert.Contains("extract: 4 files", err);
        Assert.Equal(EchoVgtDataJson.ReplaceLineEndings("\n") + "\n", File.ReadAllText(Path.Combine(t.Root, "data.json")));
        Assert.Equal(["101.jpg", "102.png", "201.jpg", "202.jpg"],
            Directory.GetFiles(Path.Combine(t.Root, "images")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var report = t.Report();
        Assert.Equal(2, report["omitted"]!["task_type not t2i"]!.GetValue<int>());
        Assert.Equal(
            """[{"row":"raw/Instruction-Following-Image/Instruction-Following-Image.jsonl:4","reason":"image not in images/"},""" +
            """{"row":"raw/Instruction-Following-Image/Instruction-Following-Image.jsonl:6","reason":"missing output_image"}]""",
            RecipeTree.Rows(report["refused_rows"]));

        // The line without an instruction is kept with caption "" as VGT's script keeps it; the loader counts a blank
        // caption as a bad sample.
        var config = t.ImportConfig(RecipeTree.DocConfig("echo_4o_image_100k.md"));
        RecipeTree.AssertLoads(config, 5, "2 blank caption");

        // A rerun skips what is unpacked and writes the same data.json.
        var before = File.ReadAllBytes(Path.Combine(t.Root, "data.json"));
        (code, output, _) = Cli("prepare", "echo-4o-image", "--root", t.Root, "--extract");
        Assert.Equal(0, code);
        Assert.Contains("parts: 3, extracted: 0, skipped existing: 4", output);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(t.Root, "data.json")));
    }

    [Fact]
    public void Echo_LinesVgtsScriptWouldStopOn_AreRefusedAndListed_TheRestKept()
    {
        using var t = new RecipeTree("echo-4o-image");
        WriteEcho(t, "\n[1, 2]\n{\"task_type\": \"t2i\", \"output_image\": 5}\n{\"task_type\": \"t2i\", \"output_image\": \"a/\"}\n" +
                     "{\"task_type\": \"t2i\", \"output_image\": \"201.jpg\", \"instruction\": null}\n");
        var report = Echo4oImagePreparer.Run(t.Root, new PrepareOptions { Workers = 1, Extract = true });
        Assert.Equal(5, report.Written);
        Assert.Equal(EchoVgtDataJson.ReplaceLineEndings("\n") + "\n", File.ReadAllText(Path.Combine(t.Root, "data.json")));
        const string f = "raw/Surrel-Fantasy-Image/conflict.jsonl";
        Assert.Equal(
            """[{"row":"raw/Instruction-Following-Image/Instruction-Following-Image.jsonl:4","reason":"image not in images/"},""" +
            """{"row":"raw/Instruction-Following-Image/Instruction-Following-Image.jsonl:6","reason":"missing output_image"},""" +
            $$"""{"row":"{{f}}:4","reason":"not valid JSON"},{"row":"{{f}}:5","reason":"not an object"},""" +
            $$"""{"row":"{{f}}:6","reason":"output_image not a string"},{"row":"{{f}}:7","reason":"output_image has no file name"},""" +
            $$"""{"row":"{{f}}:8","reason":"instruction not a string"}]""",
            RecipeTree.Rows(t.Report()["refused_rows"]));
    }

    [Fact]
    public void Echo_WithoutItsMetadata_OneLineNamingTheFile()
    {
        using var t = new RecipeTree("echo-4o-image");
        t.Write("raw/Surrel-Fantasy-Image/conflict.jsonl", "");
        var (code, _, err) = Cli("prepare", "echo-4o-image", "--root", t.Root);
        Assert.Equal(1, code);
        Assert.Equal($"vgtdata prepare: {Path.Combine(t.Root, "raw/Instruction-Following-Image/Instruction-Following-Image.jsonl")} not found (expected the downloaded metadata file)",
            err.Trim());
    }

    // ---- blip3o-60k / text-to-image-2m ---------------------------------------------------------------------------

    /// <summary>BLIP3o-60k's parts (member names assumed: KEY.jpg + KEY.txt at the top of each tar).</summary>
    internal static void WriteBlip3o(RecipeTree t)
    {
        t.Write("raw/00000.tar", new TarBuilder()
            .File("sa_1.jpg", TestImages.Jpeg(96, 96)).File("sa_1.txt", U("a bowl of ramen"))
            .File("sa_2.png", TestImages.Png(100, 96, 1)).File("sa_2.txt", U("a cat — 猫"))
            .File("lonely.jpg", TestImages.Jpeg(96, 96)).Build());
        t.Write("raw/00001.tar", new TarBuilder()
            .File("sa_1.jpg", TestImages.Jpeg(120, 96)).File("sa_1.txt", U("same key, other part"))
            .File("note.txt", U("no image")).Build());
    }

    private const string Blip3oRows =
        """[{"image":"00000/sa_1.jpg","annotation":"00000/sa_1.txt"},{"image":"00000/sa_2.png","annotation":"00000/sa_2.txt"},""" +
        """{"image":"00001/sa_1.jpg","annotation":"00001/sa_1.txt"}]""";

    [SkippableFact]
    public void Blip3o_EachPartUnpackedIntoItsOwnFolder_JsonWrittenWhenAbsent_ThenVgtsConfigLoadsEverySample()
    {
        using var t = new RecipeTree("BLIP3o-60k");
        WriteBlip3o(t);
        var (code, output, err) = Cli("prepare", "blip3o-60k", "--root", t.Root, "--extract", "--workers", "2");
        Assert.True(code == 0, err);
        Assert.Contains("entries: 5, written to data.json: 3", output);
        Assert.Contains("parts: 2, extracted: 8, skipped existing: 0", output);
        Assert.Contains($"wrote {Path.Combine(t.Root, "data.json")} and {Path.Combine(t.Root, "prepare-report.json")}", output);
        Assert.Equal(Blip3oRows, RecipeTree.Rows(t.DataJson()));
        // Two parts with the same member name stay apart, as tar_file[:-4] keeps them.
        Assert.Equal("same key, other part", File.ReadAllText(Path.Combine(t.Root, "raw/00001/sa_1.txt")));
        Assert.Equal(
            """[{"row":"raw/00000/lonely.jpg","reason":"image without caption member"},{"row":"raw/00001/note.txt","reason":"caption member without image"}]""",
            RecipeTree.Rows(t.Report()["refused_rows"]));

        var config = t.ImportConfig(RecipeTree.DocConfig("blip3o60k.md"));
        RecipeTree.AssertLoads(config, 3);
    }

    [Fact]
    public void Blip3o_TheDownloadedJsonIsKeptAsItIs_AndARerunSkipsWhatIsUnpacked()
    {
        using var t = new RecipeTree("BLIP3o-60k");
        WriteBlip3o(t);
        const string downloaded = """[{"image": "00001/sa_1.jpg", "annotation": "00001/sa_1.txt"}]""";
        t.Write("data.json", downloaded);
        var report = PerPartPreparer.Run(PerPartPreparer.Blip3o60k, PerPartPreparer.Blip3oGroups, t.Root, new PrepareOptions { Workers = 2, Extract = true });
        Assert.Equal(downloaded, File.ReadAllText(Path.Combine(t.Root, "data.json")));
        Assert.Equal((1, 1, 8), (report.Entries, report.Written, report.Extraction!.Extracted));
        report = PerPartPreparer.Run(PerPartPreparer.Blip3o60k, PerPartPreparer.Blip3oGroups, t.Root, new PrepareOptions { Workers = 1, Extract = true });
        Assert.Equal((0, 8), (report.Extraction!.Extracted, report.Extraction.SkippedExisting));
    }

    [Fact]
    public void Blip3o_APartsFolderNameTakenByAFile_OneLineNotAnAggregate()
    {
        using var t = new RecipeTree("BLIP3o-60k");
        WriteBlip3o(t);
        t.Write("raw/00001", "a file where the part's folder goes");
        var (code, output, err) = Cli("prepare", "blip3o-60k", "--root", t.Root, "--extract", "--workers", "2");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal($"vgtdata prepare: --out {Path.Combine(t.Root, "raw", "00001")}: is a file, not a folder", err.Trim().Split('\n')[^1]);
        Assert.False(File.Exists(Path.Combine(t.Root, "data.json")));
    }

    internal static void WriteTextToImage(RecipeTree t)
    {
        // Member names assumed: webdataset-style KEY.jpg + KEY.json ({"prompt": ...}) at the top of each tar.
        static byte[] Prompt(string p) => U($$"""{"prompt": "{{p}}", "url": "https://example.com"}""");
        t.Write("raw/data_512_2M/data_000000.tar", new TarBuilder()
            .File("00000001.jpg", TestImages.Jpeg(96, 96)).File("00000001.json", Prompt("a red barn")).Build());
        t.Write("raw/data_512_2M/data_000001.tar", new TarBuilder()
            .File("00000001.jpg", TestImages.Jpeg(96, 112)).File("00000001.json", Prompt("a blue boat"))
            .File("00000002.jpg", TestImages.Jpeg(96, 96)).File("00000002.json", Prompt("a green hill")).Build());
        t.Write("raw/data_1024_10K/data_000000.tar", new TarBuilder()
            .File("00000009.jpg", TestImages.Jpeg(128, 128)).File("00000009.json", Prompt("a large owl")).Build());
    }

    [SkippableFact]
    public void TextToImage_BothFoldersUnpackedPerPart_JsonsWritten_ThenVgtsConcatConfigLoadsEverySample()
    {
        using var t = new RecipeTree("text-to-image-2M");
        WriteTextToImage(t);
        var (code, output, err) = Cli("prepare", "text-to-image-2m", "--root", t.Root, "--extract");
        Assert.True(code == 0, err);
        Assert.Contains("entries: 4, written to data.json: 4", output);
        Assert.Contains($"wrote {Path.Combine(t.Root, "data/data_512_2M.json")}, {Path.Combine(t.Root, "data/data_1024_10K.json")} and", output);
        Assert.Equal(
            """[{"image":"data_000000/00000001.jpg","annotation":"data_000000/00000001.json"},""" +
            """{"image":"data_000001/00000001.jpg","annotation":"data_000001/00000001.json"},""" +
            """{"image":"data_000001/00000002.jpg","annotation":"data_000001/00000002.json"}]""",
            File.ReadAllText(Path.Combine(t.Root, "data/data_512_2M.json")).Replace("\n", "").Replace(" ", ""));
        Assert.True(File.Exists(Path.Combine(t.Root, "raw/data_1024_10K/data_000000/00000009.jpg")));

        var config = t.ImportConfig(RecipeTree.DocConfig("text2image2m.md"));
        RecipeTree.AssertLoads(config, 4);
    }
}
