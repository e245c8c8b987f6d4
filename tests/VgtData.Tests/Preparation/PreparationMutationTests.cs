using System.Text;
using System.Text.Json;
using VgtData.Preparation;
using VgtData.Progress;

namespace VgtData.Tests.Preparation;

/// <summary>Preparation behaviour that mutation testing found unguarded: every omission reason of the annotation
/// conversion, exact messages and summaries, same-path members (duplicates and collisions), the temporaries folder's
/// own name, re-runs, cancellation and progress.</summary>
public sealed class PreparationMutationTests
{
    private static byte[] Data(int seed, int length = 700) => TestImages.Garbage(length, seed);

    private static ExtractionResult Extract(TempTree t, bool flatten, params string[] parts) =>
        TarExtractor.Run(parts, new ExtractionOptions
        {
            OutputDir = Path.Combine(t.Root, "out"), FlattenToBaseName = flatten, Workers = 2, PartLabel = Path.GetFileName,
        });

    private static string Out(TempTree t, string relative) => Path.Combine(t.Root, "out", relative);

    [Fact]
    public void Convert_EveryOmissionReason_AndEveryAcceptedResolutionForm()
    {
        const string json = """
            [
              42,
              {"output_image": "a.png", "output_image_resolution": [1, 1]},
              {"input_prompt": 5, "output_image": "a.png", "output_image_resolution": [1, 1]},
              {"input_prompt": " \t", "output_image": "a.png", "output_image_resolution": [1, 1]},
              {"input_prompt": "x"},
              {"input_prompt": "x", "output_image": 7, "output_image_resolution": [1, 1]},
              {"input_prompt": "x", "output_image": "  ", "output_image_resolution": [1, 1]},
              {"input_prompt": "x", "output_image": "dir/..", "output_image_resolution": [1, 1]},
              {"input_prompt": "x", "output_image": "dir/.", "output_image_resolution": [1, 1]},
              {"input_prompt": "x", "output_image": "dir/", "output_image_resolution": [1, 1]},
              {"input_prompt": "x", "output_image": "a.png"},
              {"input_prompt": "x", "output_image": "a.png", "output_image_resolution": "1x1"},
              {"input_prompt": "x", "output_image": "a.png", "output_image_resolution": [1]},
              {"input_prompt": "x", "output_image": "a.png", "output_image_resolution": [1, 1, 1]},
              {"input_prompt": "x", "output_image": "a.png", "output_image_resolution": ["1", 1]},
              {"input_prompt": "x", "output_image": "a.png", "output_image_resolution": [1, "1"]},
              {"input_prompt": "x", "output_image": "a.png", "output_image_resolution": [0, 1]},
              {"input_prompt": "x", "output_image": "a.png", "output_image_resolution": [1, -1]},
              {"input_prompt": "x", "output_image": "a.png", "output_image_resolution": [0.0, 1]},
              {"input_prompt": "x", "output_image": "a.png", "output_image_resolution": [-2.0, 1]},
              {"input_prompt": "x", "output_image": "a.png", "output_image_resolution": [1.5, 1]},
              {"input_prompt": "x", "output_image": "a.png", "output_image_resolution": [2147483648.0, 1]},
              {"input_prompt": "x", "output_image": "absent.png", "output_image_resolution": [1, 1]},
              {"input_prompt": "first", "output_image": "a\\b\\c.png", "output_image_resolution": [64.0, 1e1]},
              {"input_prompt": " second ", "output_image": "/x/a.png", "output_image_resolution": [2147483647.0, 3]},
              {"input_prompt": "third", "output_image": "a.png", "output_image_resolution": [2147483647, 1]}
            ]
            """;
        using var doc = JsonDocument.Parse(json);
        var asked = new List<string>();
        var omissions = new Omissions(ShareGptAnnotations.OmissionReasons);
        var rows = ShareGptAnnotations.Convert(doc.RootElement, name => { asked.Add(name); return name != "absent.png"; }, omissions);

        // VGT's process_metadata.py: truthy prompt (spaces too) and image, images/<basename> present, int() of a
        // two-element resolution, no size otherwise.
        Assert.Equal(
            [new DataJsonEntry("images/a.png", " \t", 1, 1),
             new DataJsonEntry("images/  ", "x", 1, 1),
             new DataJsonEntry("images/a.png", "x", null, null),
             new DataJsonEntry("images/a.png", "x", null, null),
             new DataJsonEntry("images/a.png", "x", null, null),
             new DataJsonEntry("images/a.png", "x", null, null),
             new DataJsonEntry("images/a.png", "x", 1, 1),
             new DataJsonEntry("images/a.png", "x", 1, 1),
             new DataJsonEntry("images/a.png", "x", 0, 1),
             new DataJsonEntry("images/a.png", "x", 1, -1),
             new DataJsonEntry("images/a.png", "x", 0, 1),
             new DataJsonEntry("images/a.png", "x", -2, 1),
             new DataJsonEntry("images/a.png", "x", 1, 1),
             new DataJsonEntry("images/a\\b\\c.png", "first", 64, 10),
             new DataJsonEntry("images/a.png", " second ", int.MaxValue, 3),
             new DataJsonEntry("images/a.png", "third", int.MaxValue, 1)],
            rows);
        Assert.Equal(["a.png", "a.png", "  ", .. Enumerable.Repeat("a.png", 12), "absent.png", "a\\b\\c.png", "a.png", "a.png"], asked);
        var report = omissions.Report("sharegpt-4o-image", 26, rows.Count, 0, null);
        Assert.Equal(new Dictionary<string, int>
        {
            [ShareGptAnnotations.MissingPrompt] = 1,
            [ShareGptAnnotations.MissingOutputImage] = 1,
            [ShareGptAnnotations.PromptNotString] = 1,
            [ShareGptAnnotations.ImageNotString] = 1,
            [ShareGptAnnotations.NoFileName] = 3,
            [ShareGptAnnotations.BadResolution] = 1,
            [ShareGptAnnotations.NotAnObject] = 1,
            [ShareGptAnnotations.ImageNotFound] = 1,
        }, report.Omitted);
        Assert.Equal(["[0] not an object", "[1] missing prompt", "[2] input_prompt not a string", "[4] missing output_image",
            "[5] output_image not a string", "[7] output_image has no file name", "[8] output_image has no file name",
            "[9] output_image has no file name", "[21] output_image_resolution not two integers", "[22] image not in images/ or any tar"],
            report.RefusedRows.Select(r => $"{r.Row["raw/text_to_image.json".Length..]} {r.Reason}"));
    }

    [Fact]
    public void Convert_EveryReasonIsCountedFromZero_EvenWhenNothingIsLeftOut()
    {
        using var doc = JsonDocument.Parse("[]");
        var omissions = new Omissions(ShareGptAnnotations.OmissionReasons);
        Assert.Empty(ShareGptAnnotations.Convert(doc.RootElement, _ => true, omissions));
        var report = omissions.Report("sharegpt-4o-image", 0, 0, 0, null);
        Assert.Equal(ShareGptAnnotations.OmissionReasons.Order(), report.Omitted.Keys.Order());
        Assert.All(report.Omitted.Values, v => Assert.Equal(0, v));
        Assert.Equal(["missing prompt", "missing output_image", "input_prompt not a string", "output_image not a string",
            "output_image has no file name", "output_image_resolution not two integers", "not an object", "image not in images/ or any tar"],
            ShareGptAnnotations.OmissionReasons);
    }

    [Fact]
    public void Load_ExactMessages_MissingFile_InvalidJson_TrailingComma_NotAnArray()
    {
        using var t = new TempTree();
        var path = t.Raw("text_to_image.json");
        var e = Assert.Throws<VgtDataException>(() => ShareGptAnnotations.Load(path));
        Assert.Equal($"{path} not found (expected the downloaded annotation file)", e.Message);

        File.WriteAllText(path, "[1,]");
        e = Assert.Throws<VgtDataException>(() => ShareGptAnnotations.Load(path));
        Assert.StartsWith($"{path} is not valid JSON: ", e.Message);
        Assert.IsAssignableFrom<JsonException>(e.InnerException);

        File.WriteAllText(path, "{\"a\": 1}");
        e = Assert.Throws<VgtDataException>(() => ShareGptAnnotations.Load(path));
        Assert.Equal($"{path}: expected a JSON array of entries, found object", e.Message);

        File.WriteAllText(path, "[1, 2]");
        using var doc = ShareGptAnnotations.Load(path);
        Assert.Equal(2, doc.RootElement.GetArrayLength());
    }

    [Fact]
    public void Write_ExactText_NonAsciiKept_EmptyList()
    {
        var ms = new MemoryStream();
        DataJson.Write(ms, [new DataJsonEntry("images/é.png", "un chat <猫> & \"q\"", 3, 4)], ShareGptAnnotations.WriteRow);
        Assert.Equal(
            "[\n  {\n    \"image\": \"images/é.png\",\n    \"caption\": \"un chat <猫> & \\\"q\\\"\",\n    \"width\": 3,\n    \"height\": 4\n  }\n]\n",
            Encoding.UTF8.GetString(ms.ToArray()));
        ms = new MemoryStream();
        DataJson.Write(ms, Array.Empty<DataJsonEntry>(), ShareGptAnnotations.WriteRow);
        Assert.Equal("[]\n", Encoding.UTF8.GetString(ms.ToArray()));
    }

    private static PrepareReport Report(IReadOnlyList<RefusedMember> refused, IReadOnlyList<PartError> errors) => new()
    {
        Recipe = "sharegpt-4o-image",
        Entries = 9,
        Written = 4,
        Reasons = ShareGptAnnotations.OmissionReasons,
        Omitted = new Dictionary<string, int> { [ShareGptAnnotations.MissingPrompt] = 2, [ShareGptAnnotations.ImageNotFound] = 3 },
        Extraction = new ExtractionResult
        {
            Parts = 2, Extracted = 5, SkippedExisting = 6, IdenticalDuplicates = 7,
            Refused = refused, Errors = errors, Present = new HashSet<string>(),
        },
    };

    [Fact]
    public void Summary_ExactLines_ControlCharactersEscaped()
    {
        var o = new StringWriter { NewLine = "\n" };
        Report([new RefusedMember("p1.tar", "a\nb\u001b.png", "symlink"), new RefusedMember("p2.tar", "c.png", "hard link")],
            [new PartError("p2.tar", "cut short")]).WriteSummary(o);
        Assert.Equal(
            "entries: 9, written to data.json: 4\n" +
            "  omitted (missing prompt): 2\n" +
            "  omitted (image not in images/ or any tar): 3\n" +
            "parts: 2, extracted: 5, skipped existing: 6, identical duplicates: 7\n" +
            "refused members: 2\n" +
            "  p1.tar: a\\x0Ab\\x1B.png: symlink\n" +
            "  p2.tar: c.png: hard link\n" +
            "part error: p2.tar: cut short\n",
            o.ToString());

        o = new StringWriter { NewLine = "\n" };
        Report([], []).WriteSummary(o);
        Assert.DoesNotContain("refused members", o.ToString());
        Assert.Equal("\\x00\\x7F\\x9Fok", PrepareReport.Printable("\0\u007f\u009fok"));
        Assert.Equal("plain é", PrepareReport.Printable("plain é"));
    }

    [Fact]
    public void ReportJson_EveryOmissionKeyInOrder_RefusalsAndErrorsExact()
    {
        var ms = new MemoryStream();
        Report([new RefusedMember("p1.tar", "x", "symlink")], [new PartError("p2.tar", "bad")]).WriteJson(ms);
        Assert.Equal(
            "{\n  \"recipe\": \"sharegpt-4o-image\",\n  \"entries\": 9,\n  \"written\": 4,\n  \"omitted\": {\n    \"missing prompt\": 2,\n" +
            "    \"missing output_image\": 0,\n    \"input_prompt not a string\": 0,\n    \"output_image not a string\": 0,\n" +
            "    \"output_image has no file name\": 0,\n    \"output_image_resolution not two integers\": 0,\n    \"not an object\": 0,\n" +
            "    \"image not in images/ or any tar\": 3\n  },\n  \"refused_rows\": [],\n  \"refused_rows_not_listed\": 0,\n  \"bytes\": 0,\n" +
            "  \"refused_members\": [\n    {\n      \"part\": \"p1.tar\",\n      \"member\": \"x\",\n" +
            "      \"reason\": \"symlink\"\n    }\n  ],\n  \"part_errors\": [\n    {\n      \"part\": \"p2.tar\",\n      \"error\": \"bad\"\n    }\n  ],\n" +
            "  \"in_place\": false,\n  \"members\": 0,\n  \"extracted\": 5,\n  \"skipped_existing\": 6,\n  \"identical_duplicates\": 7,\n  \"parts\": 2\n}\n",
            Encoding.UTF8.GetString(ms.ToArray()));
    }

    [Fact]
    public void Preparer_ExactMessages_NoRoot_NoParts()
    {
        using var t = new TempTree();
        var missing = Path.Combine(t.Container, "nope");
        var e = Assert.Throws<VgtDataException>(() => ShareGpt4oImagePreparer.Run(missing, new PrepareOptions()));
        Assert.Equal($"{missing}: no such folder", e.Message);

        File.WriteAllText(t.Raw("text_to_image.json"), "[]");
        e = Assert.Throws<VgtDataException>(() => ShareGpt4oImagePreparer.Run(t.Root, new PrepareOptions()));
        Assert.Equal($"no tar parts match {Path.Combine(t.Root, ShareGpt4oImagePreparer.PartPattern)}", e.Message);
        Assert.False(File.Exists(Path.Combine(t.Root, "data.json")));
    }

    [Fact]
    public void SamePath_IdenticalBytesIsADuplicate_OtherBytesOrSizeACollision_FirstMemberKept()
    {
        using var t = new TempTree();
        var sameSizeOther = Data(1);
        sameSizeOther[^1] ^= 1;
        File.WriteAllBytes(t.Raw("dups.tar"), new TarBuilder()
            .File("x/a.png", Data(1))
            .File("y/a.png", Data(1))              // identical: a duplicate
            .File("z/a.png", sameSizeOther)        // same size, last byte differs
            .File("w/a.png", Data(1, 699))         // a prefix of the first: shorter
            .File("v/a.png", [.. Data(1), 0])      // the first plus one byte
            .Build());
        var result = Extract(t, flatten: true, t.Raw("dups.tar"));
        Assert.Empty(result.Errors);
        Assert.Equal(
            [new RefusedMember("dups.tar", "z/a.png", RefusalReasons.NameCollision),
             new RefusedMember("dups.tar", "w/a.png", RefusalReasons.NameCollision),
             new RefusedMember("dups.tar", "v/a.png", RefusalReasons.NameCollision)],
            result.Refused);
        Assert.Equal((1, 0, 1), (result.Extracted, result.SkippedExisting, result.IdenticalDuplicates));
        Assert.Equal(["a.png"], result.Present);
        Assert.Equal(Data(1), File.ReadAllBytes(Out(t, "a.png")));
        // The temporaries folder is removed once empty.
        Assert.False(Directory.Exists(Out(t, ExtractionTemp.FolderName)));
        Assert.Equal(["root/out/a.png", "root/raw/dups.tar"], t.AllFiles());
    }

    [Fact]
    public void TemporariesFolderName_IsRefusedAsAMemberPath_ButSimilarNamesAreNot()
    {
        using var t = new TempTree();
        File.WriteAllBytes(t.Raw("tmp.tar"), new TarBuilder()
            .File(ExtractionTemp.FolderName, Data(1))
            .File(ExtractionTemp.FolderName + "/0.part", Data(2))
            .File(ExtractionTemp.FolderName + "x", Data(3))
            .File("a" + ExtractionTemp.FolderName + "/b", Data(4))
            .Entry("dir/", '5')
            .File(".", Data(5))                    // names the output folder itself: nothing to write
            .Build());
        var result = Extract(t, flatten: false, t.Raw("tmp.tar"));
        Assert.Empty(result.Errors);
        Assert.Equal(
            [new RefusedMember("tmp.tar", ExtractionTemp.FolderName, RefusalReasons.FileFolderConflict),
             new RefusedMember("tmp.tar", ExtractionTemp.FolderName + "/0.part", RefusalReasons.FileFolderConflict)],
            result.Refused);
        Assert.Equal(2, result.Extracted);
        Assert.Equal(new HashSet<string> { ExtractionTemp.FolderName + "x", "a" + ExtractionTemp.FolderName + "/b" }, result.Present);
        Assert.Equal(Data(3), File.ReadAllBytes(Out(t, ExtractionTemp.FolderName + "x")));
        Assert.Equal(Data(4), File.ReadAllBytes(Out(t, "a" + ExtractionTemp.FolderName + "/b")));
        Assert.False(Directory.Exists(Out(t, "dir")));
    }

    [Fact]
    public void Rerun_SkipsSameSizedFiles_RewritesOthers_AndAFolderAtAFileNameIsAConflict()
    {
        using var t = new TempTree();
        File.WriteAllBytes(t.Raw("one.tar"), new TarBuilder()
            .File("a.bin", Data(1)).File("b.bin", Data(2)).File("c.bin", Data(3)).File("d.bin", Data(4)).Build());
        var first = Extract(t, flatten: false, t.Raw("one.tar"));
        Assert.Equal((4, 0), (first.Extracted, first.SkippedExisting));

        File.WriteAllBytes(Out(t, "b.bin"), Data(9, 10));   // wrong size: rewritten
        File.Delete(Out(t, "c.bin"));                        // missing: written
        File.Delete(Out(t, "d.bin"));
        Directory.CreateDirectory(Out(t, "d.bin"));          // a folder where the file goes
        var second = Extract(t, flatten: false, t.Raw("one.tar"));
        Assert.Equal((2, 1, 0), (second.Extracted, second.SkippedExisting, second.IdenticalDuplicates));
        Assert.Equal([new RefusedMember("one.tar", "d.bin", RefusalReasons.FileFolderConflict)], second.Refused);
        Assert.Equal(new HashSet<string> { "a.bin", "b.bin", "c.bin" }, second.Present);
        Assert.Equal(Data(2), File.ReadAllBytes(Out(t, "b.bin")));
        Assert.Equal(Data(3), File.ReadAllBytes(Out(t, "c.bin")));
    }

    [Fact]
    public void CancelledToken_StopsWithOperationCanceled_NothingWritten()
    {
        using var t = new TempTree();
        // An empty first member: no data copy could notice the cancellation, only the check before each member.
        File.WriteAllBytes(t.Raw("one.tar"), new TarBuilder().File("a.bin", []).File("b.bin", Data(1)).Build());
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var e = Assert.ThrowsAny<OperationCanceledException>(() => TarExtractor.Run([t.Raw("one.tar")], new ExtractionOptions
        {
            OutputDir = Path.Combine(t.Root, "out"), Cancellation = cts.Token,
        }));
        Assert.Equal("extraction cancelled", e.Message);
        Assert.Equal(cts.Token, e.CancellationToken);
        Assert.Equal(["root/raw/one.tar"], t.AllFiles());
        Assert.ThrowsAny<OperationCanceledException>(() => TarExtractor.Run([], new ExtractionOptions
        {
            OutputDir = Path.Combine(t.Root, "out"), Cancellation = cts.Token,
        }));
    }

    [Fact]
    public void Progress_CountsFilesWritten_AndEveryByteOfEachPart_PlainAndGzip()
    {
        using var t = new TempTree();
        var tar = new TarBuilder().File("a.bin", Data(1)).File("b.bin", Data(2)).File("a.bin", Data(1)).Build();
        File.WriteAllBytes(t.Raw("one.tar"), tar);
        var gz = new MemoryStream();
        using (var z = new System.IO.Compression.GZipStream(gz, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            z.Write(new TarBuilder().File("c.bin", Data(3)).Build());
        File.WriteAllBytes(t.Raw("two.tar.gz"), gz.ToArray());
        long total = tar.Length + gz.Length;
        using var meter = new ProgressMeter(TextWriter.Null, false, total, _ => "");
        int written = 0;
        var result = TarExtractor.Run([t.Raw("one.tar"), t.Raw("two.tar.gz")], new ExtractionOptions
        {
            OutputDir = Path.Combine(t.Root, "out"), Workers = 1, Progress = meter, AfterFileWritten = () => written++,
        });
        Assert.Equal((3, 1), (result.Extracted, result.IdenticalDuplicates));
        Assert.Equal(3, meter.Count);
        Assert.Equal(3, written);
        Assert.Equal(total, meter.Done);
    }

    [Fact]
    public void ExtractionProgress_LineFormat()
    {
        using var meter = ExtractionProgress.Create(TextWriter.Null, false, 2048, "unpack");
        meter.AddCount(3);
        meter.Add(1024);
        Assert.Matches(@"^unpack: 3 files,  50\.0% of 2\.0 KB, .+/s, ETA .+$", meter.Line());
    }

    [Fact]
    public void AtomicFile_WriterThatThrows_LeavesNeitherTemporaryNorTarget_OldFileKept()
    {
        using var t = new TempTree();
        var path = Path.Combine(t.Root, "data.json");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s => { s.WriteByte(1); throw new InvalidOperationException(); }));
        Assert.Equal([], t.AllFiles());
        File.WriteAllBytes(path, [7]);
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s => { s.WriteByte(1); throw new InvalidOperationException(); }));
        Assert.Equal(["root/data.json"], t.AllFiles());
        Assert.Equal([7], File.ReadAllBytes(path));
        AtomicFile.Write(path, s => s.Write([1, 2]));
        Assert.Equal(["root/data.json"], t.AllFiles());
        Assert.Equal([1, 2], File.ReadAllBytes(path));
        var tmp = AtomicFile.TempPathFor(path);
        Assert.Equal(t.Root, Path.GetDirectoryName(tmp));
        Assert.Matches(@"^\.data\.json\.[0-9a-f]{8}\.vgtdata-partial$", Path.GetFileName(tmp));
    }

    [Theory]
    [InlineData("a/b/c.png", "c.png")]
    [InlineData("c.png", "c.png")]
    [InlineData("a/", "")]
    [InlineData("/a.png", "a.png")]
    public void BaseName_IsTheLastComponent(string relative, string expected) => Assert.Equal(expected, MemberPath.BaseName(relative));

    [Theory]
    [InlineData("C", "C")]
    [InlineData("é:x", "é:x")]
    [InlineData(":x", ":x")]
    [InlineData("ab:x", "ab:x")]
    public void DriveLikeNames_NeedAnAsciiLetterThenAColon(string name, string expected)
    {
        Assert.Equal(expected, MemberPath.Relative(name, out var refusal));
        Assert.Null(refusal);
    }

    [Theory]
    [InlineData("identical")]
    [InlineData("different")]
    [InlineData("prefix")]
    public void SamePath_EarlierMemberArrivingSecond_StillWins(string kind)
    {
        using var t = new TempTree();
        var (p1, p2) = kind switch
        {
            "identical" => (Data(1), Data(1)),
            "different" => (Data(1), Data(2)),
            _ => (Data(1, 699), Data(1)),          // p1's bytes are a prefix of p2's
        };
        File.WriteAllBytes(t.Raw("p1.tar"), new TarBuilder().File("first.bin", Data(7)).File("a.png", p1).File("a.png", Data(3)).Build());
        File.WriteAllBytes(t.Raw("p2.tar"), new TarBuilder().File("a.png", p2).Build());
        // Whichever file is written first waits until another is: p2's a.png is then always in place before p1 reaches
        // its own a.png, which comes first in (part, member) order.
        int writes = 0;
        using var second = new ManualResetEventSlim();
        var result = TarExtractor.Run([t.Raw("p1.tar"), t.Raw("p2.tar")], new ExtractionOptions
        {
            OutputDir = Path.Combine(t.Root, "out"), Workers = 2, PartLabel = Path.GetFileName,
            AfterFileWritten = () =>
            {
                if (Interlocked.Increment(ref writes) == 1) Assert.True(second.Wait(TimeSpan.FromSeconds(60)), "the other part never wrote");
                else second.Set();
            },
        });
        Assert.Empty(result.Errors);
        Assert.Equal(p1, File.ReadAllBytes(Out(t, "a.png")));
        Assert.Equal(Data(7), File.ReadAllBytes(Out(t, "first.bin")));
        Assert.Equal(new HashSet<string> { "first.bin", "a.png" }, result.Present);
        Assert.Equal(["root/out/a.png", "root/out/first.bin", "root/raw/p1.tar", "root/raw/p2.tar"], t.AllFiles());
        // p1's second a.png (other bytes) loses to p1's first, which now owns the name.
        var third = new RefusedMember("p1.tar", "a.png", RefusalReasons.NameCollision);
        if (kind == "identical")
        {
            Assert.Equal([third], result.Refused);
            Assert.Equal((2, 0, 1), (result.Extracted, result.SkippedExisting, result.IdenticalDuplicates));
        }
        else
        {
            Assert.Equal([third, new RefusedMember("p2.tar", "a.png", RefusalReasons.NameCollision)], result.Refused);
            Assert.Equal((2, 0, 0), (result.Extracted, result.SkippedExisting, result.IdenticalDuplicates));
        }
    }

    [Fact]
    public void AMemberTheFileSystemRefuses_IsReportedAsCannotWrite_TheRestGoesOn()
    {
        using var t = new TempTree();
        // A folder where the first member's temporary file goes: creating the file fails.
        Directory.CreateDirectory(Path.Combine(t.Root, "out", ExtractionTemp.FolderName, "0.part"));
        File.WriteAllBytes(t.Raw("one.tar"), new TarBuilder().File("a.bin", Data(1)).File("b.bin", Data(2)).Build());
        var result = Extract(t, flatten: false, t.Raw("one.tar"));
        Assert.Empty(result.Errors);
        var refused = Assert.Single(result.Refused);
        Assert.Equal(("one.tar", "a.bin"), (refused.Part, refused.Member));
        Assert.StartsWith(RefusalReasons.WriteFailed + ": ", refused.Reason);
        Assert.True(refused.Reason.Length > RefusalReasons.WriteFailed.Length + 2);
        Assert.Equal(Data(2), File.ReadAllBytes(Out(t, "b.bin")));
        Assert.Equal(["b.bin"], result.Present);
    }

    [Fact]
    public void DataCutShortInsideAGzipMember_IsAPartError_NotARefusal_NoTemporaryLeft()
    {
        using var t = new TempTree();
        var tar = new TarBuilder().File("a.bin", Data(1)).File("b.bin", Data(2, 200_000)).Build();
        var gz = new MemoryStream();
        using (var z = new System.IO.Compression.GZipStream(gz, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true)) z.Write(tar);
        var bytes = gz.ToArray();
        File.WriteAllBytes(t.Raw("cut.tar.gz"), bytes[..(bytes.Length / 2)]);
        var result = Extract(t, flatten: false, t.Raw("cut.tar.gz"));
        Assert.Empty(result.Refused);
        Assert.Equal("cut.tar.gz", Assert.Single(result.Errors).Part);
        Assert.Equal(["a.bin"], result.Present);
        Assert.Equal(["root/out/a.bin", "root/raw/cut.tar.gz"], t.AllFiles());
    }

    [Fact]
    public void TrailingJunkAfterGzip_ExactCount_AndOffset()
    {
        using var t = new TempTree();
        var gz = new MemoryStream();
        using (var z = new System.IO.Compression.GZipStream(gz, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            z.Write(new TarBuilder().File("a.bin", Data(1)).Build());
        byte[] bytes = [.. gz.ToArray(), .. Data(5, 300_000)];
        bytes[gz.Length] = 0; // junk that does not start a gzip member
        File.WriteAllBytes(t.Raw("junk.tar.gz"), bytes);
        var error = Assert.Single(Extract(t, flatten: false, t.Raw("junk.tar.gz")).Errors).Error;
        var m = System.Text.RegularExpressions.Regex.Match(error, @"^(\d+) bytes after the last complete gzip member \(ending near offset (\d+)\) are not gzip data$");
        Assert.True(m.Success, error);
        Assert.Equal(bytes.Length, long.Parse(m.Groups[1].Value) + long.Parse(m.Groups[2].Value));
        Assert.True(long.Parse(m.Groups[1].Value) > 0);
    }

    [Fact]
    public void PartErrors_InPartOrder_WhateverTheTiming()
    {
        using var t = new TempTree();
        var names = Enumerable.Range(0, 4).Select(i => t.Raw($"p{i}.tar")).ToArray();
        for (int i = 0; i < 4; i++) File.WriteAllBytes(names[i], new TarBuilder().File($"f{i}", Data(i)).Build(endMarker: false));
        var result = Extract(t, flatten: false, names);
        Assert.Equal(["p0.tar", "p1.tar", "p2.tar", "p3.tar"], result.Errors.Select(e => e.Part));
    }

    [Fact]
    public void GzipIsDetectedByBothMagicBytes_NotEither()
    {
        using var t = new TempTree();
        File.WriteAllBytes(t.Raw("a.tar"), new TarBuilder().RawNameFile([(byte)'a', 0x8B, (byte)'x'], Data(1)).Build());
        File.WriteAllBytes(t.Raw("b.tar"), new TarBuilder().File("\u001fx", Data(2)).Build());
        var result = Extract(t, flatten: false, t.Raw("a.tar"), t.Raw("b.tar"));
        Assert.Empty(result.Errors);
        Assert.Empty(result.Refused);
        Assert.Equal(Data(1), File.ReadAllBytes(Out(t, "a%8Bx")));
        Assert.Equal(Data(2), File.ReadAllBytes(Out(t, "\u001fx")));
    }

    [Fact]
    public void OutputFolder_ExactMessages_AFileThere_AFileOnTheWay()
    {
        using var t = new TempTree();
        File.WriteAllBytes(t.Raw("one.tar"), new TarBuilder().File("x.png", Data(1)).Build());
        var file = Path.Combine(t.Root, "afile");
        File.WriteAllBytes(file, [1]);
        var e = Assert.Throws<VgtDataException>(() => TarExtractor.Run([t.Raw("one.tar")], new ExtractionOptions { OutputDir = file }));
        Assert.Equal($"--out {file}: is a file, not a folder", e.Message);
        var below = Path.Combine(file, "sub");
        e = Assert.Throws<VgtDataException>(() => TarExtractor.Run([t.Raw("one.tar")], new ExtractionOptions { OutputDir = below }));
        Assert.StartsWith($"--out {below}: cannot create the folder: ", e.Message);
        Assert.IsAssignableFrom<IOException>(e.InnerException);
    }

    [Fact]
    public void DriveOnlyName_IsAbsolute_AndAPathOfExactly3840BytesFits()
    {
        Assert.Null(MemberPath.Relative("C:", out var refusal));
        Assert.Equal(RefusalReasons.AbsolutePath, refusal);
        // 14 * 255 + 254 + 1 bytes of names and 15 slashes: 3840 bytes.
        var path = string.Join('/', Enumerable.Repeat(new string('a', 255), 14)) + "/" + new string('c', 254) + "/";
        Assert.Equal(3839, path.Length);
        Assert.Equal(path + "b", MemberPath.Relative(path + "b", out refusal));
        Assert.Null(refusal);
        Assert.Null(MemberPath.Relative(path + "bc", out refusal));
        Assert.Equal(RefusalReasons.PathTooLong, refusal);
    }
}
