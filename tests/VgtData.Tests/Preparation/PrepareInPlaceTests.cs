using VgtData.Preparation;

namespace VgtData.Tests.Preparation;

/// <summary>
/// <c>prepare NAME</c> leaves the download as it lies (only the manifests and the report are added) and writes the same
/// manifests as <c>prepare NAME --extract</c>, which unpacks into VGT's layout; both refuse the same hostile members
/// (a path several members hold: unpacked the first wins, in place none does);
/// a rerun of --extract skips the parts it finished without reading them.
/// </summary>
public sealed class PrepareInPlaceTests
{
    private static (int Code, string Out, string Err) Cli(params string[] args) => Fixtures.CliRun.Run(args);

    private static void Write(string recipe, RecipeTree t)
    {
        switch (recipe)
        {
            case "sharegpt-4o-image":
                PrepareRecipesTests.WriteShareGptParts(t);
                t.Write("raw/text_to_image.json", PrepareRecipesTests.ShareGptEntries);
                break;
            case "echo-4o-image": PrepareRecipesTests.WriteEcho(t); break;
            case "blip3o-60k": PrepareRecipesTests.WriteBlip3o(t); break;
            case "text-to-image-2m": PrepareRecipesTests.WriteTextToImage(t); break;
            case "megalith-10m": PrepareCaptionTarRecipesTests.WriteMegalith(t); break;
            case "cc12m": PrepareCaptionTarRecipesTests.WriteCc12m(t); break;
            case "laion-6m": PrepareRecipesTests.WriteImg2Dataset(t); break;
            case "midjourney-23m": PrepareParquetRecipesTests.WriteMidjourneyDownload(t); break;
            default: throw new ArgumentException(recipe);
        }
    }

    [Theory]
    [InlineData("sharegpt-4o-image")]
    [InlineData("echo-4o-image")]
    [InlineData("blip3o-60k")]
    [InlineData("text-to-image-2m")]
    [InlineData("megalith-10m")]
    [InlineData("cc12m")]
    [InlineData("laion-6m")]
    [InlineData("midjourney-23m")]
    public void WithoutExtract_TheDownloadStaysAsItIs_AndTheManifestsEqualTheExtractedOnes(string recipe)
    {
        using var inPlace = new RecipeTree(recipe);
        using var extracted = new RecipeTree(recipe);
        Write(recipe, inPlace);
        Write(recipe, extracted);
        var download = inPlace.Files();
        var outputs = PrepareRecipes.Find(recipe)!.Written;

        var (code, output, err) = Cli("prepare", recipe, "--root", inPlace.Root, "--workers", "2");
        Assert.True(code == 0, err);
        // Parts that together stand for images/ are listed for the loader beside data.json.
        string[] sidecar = recipe is "sharegpt-4o-image" or "midjourney-23m" ? ["images.tarparts.json"] : [];
        Assert.Equal(download.Concat(outputs).Concat(sidecar).Append("prepare-report.json").Order(StringComparer.Ordinal), inPlace.Files());
        (code, _, err) = Cli("prepare", recipe, "--root", extracted.Root, "--extract", "--workers", "2");
        Assert.True(code == 0, err);
        foreach (var o in outputs)
            Assert.Equal(File.ReadAllText(Path.Combine(extracted.Root, o)), File.ReadAllText(Path.Combine(inPlace.Root, o)));
        var (a, b) = (inPlace.Report(), extracted.Report());
        foreach (var key in new[] { "entries", "written", "omitted", "refused_rows", "bytes" })
            Assert.Equal(RecipeTree.Rows(b[key]), RecipeTree.Rows(a[key]));
        if (recipe == "laion-6m") return;  // img2dataset folders: nothing to unpack either way
        Assert.True(a["in_place"]!.GetValue<bool>());
        Assert.False(b["in_place"]!.GetValue<bool>());
        Assert.Equal(b["members"]!.GetValue<int>(), a["members"]!.GetValue<int>());
        Assert.Equal((0, 0), (a["extracted"]!.GetValue<int>(), a["skipped_existing"]!.GetValue<int>()));
        Assert.Equal(b["members"]!.GetValue<int>(), b["extracted"]!.GetValue<int>());
        Assert.Contains($"parts: {a["parts"]}, read in place (nothing unpacked; --extract unpacks them): {a["members"]} members", output);
        Assert.Equal(recipe == "echo-4o-image", output.Contains(
            $"note: echo-4o-image's .tar.gz parts cannot be read in place; run: vgtdata prepare echo-4o-image --root {inPlace.Root} --extract"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HostileMembers_RefusedWithTheirReason_InPlaceAndExtracted_NothingWrittenOutside(bool extract)
    {
        using var t = new RecipeTree("megalith-10m");
        PrepareCaptionTarRecipesTests.WriteMegalith(t);
        t.Write("raw/00002.tar", new TarBuilder()
            .File("../../escape.jpg", TestImages.Jpeg(96, 96))
            .File("/abs.jpg", TestImages.Jpeg(96, 96))
            .Entry("link.jpg", '2', "/etc/passwd")
            .Entry("hard.jpg", '1', "200.jpg")
            .File("200.jpg", TestImages.Jpeg(96, 96))
            .File("200.jpg", TestImages.Jpeg(112, 96)).Build());
        t.Write("captions/00002.tar", new TarBuilder()
            .File("00002/200.json", """{"caption_internlm2_short": "kept once"}"""u8.ToArray())
            .File("00000/100.json", """{"caption_internlm2_short": "another part's path"}"""u8.ToArray()).Build());
        var args = new List<string> { "prepare", "megalith-10m", "--root", t.Root, "--workers", "2" };
        if (extract) args.Add("--extract");
        var (code, output, err) = Cli([.. args]);
        Assert.True(code == 0, err);
        var refused = RecipeTree.Rows(t.Report()["refused_members"]);
        const string hostile =
            """[{"part":"raw/00002.tar","member":"../../escape.jpg","reason":"parent traversal"},""" +
            """{"part":"raw/00002.tar","member":"/abs.jpg","reason":"absolute path"},""" +
            """{"part":"raw/00002.tar","member":"link.jpg","reason":"symlink"},""" +
            """{"part":"raw/00002.tar","member":"hard.jpg","reason":"hard link"},""";
        Assert.Contains("  raw/00002.tar: ../../escape.jpg: parent traversal", output);
        Assert.False(File.Exists(Path.Combine(t.Parent, "escape.jpg")));
        Assert.False(File.Exists(Path.Combine(t.Root, "escape.jpg")));
        var rows = RecipeTree.Rows(t.DataJson("megalith10m_all.json"));
        var refusedRows = RecipeTree.Rows(t.Report()["refused_rows"]);
        if (extract)
        {
            // Unpacked, the first member of a path wins, as the extractor always did; the later one is refused.
            Assert.Equal(hostile +
                """{"part":"raw/00002.tar","member":"200.jpg","reason":"name collision"},""" +
                """{"part":"captions/00002.tar","member":"00000/100.json","reason":"name collision"}]""", refused);
            Assert.Contains("""{"image":"00002/200.jpg","annotation":"00002/200.json"}""", rows);
            Assert.Contains("""{"image":"00000/100.jpg","annotation":"00000/100.json"}""", rows);
            Assert.Equal(TestImages.Jpeg(96, 96), File.ReadAllBytes(Path.Combine(t.Root, "raw/00002/200.jpg")));
            Assert.Contains("a stone circle at dawn", File.ReadAllText(Path.Combine(t.Root, "captions/00000/100.json")));
            Assert.Equal(["200.jpg"], Directory.EnumerateFileSystemEntries(Path.Combine(t.Root, "raw/00002")).Select(Path.GetFileName));
        }
        else
        {
            // In place a path several members hold is nobody's: each of them is refused, and so are the rows needing it.
            Assert.Equal(hostile +
                """{"part":"raw/00002.tar","member":"200.jpg","reason":"name collision"},""" +
                """{"part":"raw/00002.tar","member":"200.jpg","reason":"name collision"},""" +
                """{"part":"captions/00000.tar","member":"00000/100.json","reason":"name collision"},""" +
                """{"part":"captions/00002.tar","member":"00000/100.json","reason":"name collision"}]""", refused);
            Assert.DoesNotContain("00002/200.jpg", rows);
            Assert.DoesNotContain("00000/100.jpg", rows);
            Assert.Contains("""{"row":"raw/00000/100.jpg","reason":"image without caption member"}""", refusedRows);
            Assert.Contains("""{"row":"captions/00002/200.json","reason":"caption member without image"}""", refusedRows);
            Assert.False(Directory.Exists(Path.Combine(t.Root, "raw/00002")));
        }
    }

    [Fact]
    public void ShareGpt_ANameTwoPartsHold_InPlaceBothAreNamedAndItsRowsRefused()
    {
        using var t = new RecipeTree("sharegpt-4o-image");
        PrepareRecipesTests.WriteShareGptParts(t);
        t.Write("raw/text_to_image_part_2.tar", new TarBuilder().File("3.png", TestImages.Png(96, 96, 9)).Build());
        t.Write("raw/text_to_image.json", """
            [{"input_prompt": "three", "output_image": "image/3.png"}, {"input_prompt": "one", "output_image": "image/1.png"}]
            """);
        var (code, output, err) = Cli("prepare", "sharegpt-4o-image", "--root", t.Root);
        Assert.True(code == 0, err);
        Assert.Contains("entries: 2, written to data.json: 1", output);
        Assert.Contains("  text_to_image_part_0.tar: 3.png: name collision", output);
        Assert.Contains("  text_to_image_part_2.tar: 3.png: name collision", output);
        Assert.Equal("""[{"row":"raw/text_to_image.json[0]","reason":"image not in images/ or any tar"}]""", RecipeTree.Rows(t.Report()["refused_rows"]));
        Assert.Equal("""[{"image":"images/1.png","caption":"one"}]""", RecipeTree.Rows(t.DataJson()));
    }

    [Fact]
    public void ExtractRerun_SkipsFinishedPartsWithoutReadingThem_AChangedPartIsReadAgain()
    {
        using var t = new RecipeTree("megalith-10m");
        PrepareCaptionTarRecipesTests.WriteMegalith(t);
        var (code, output, err) = Cli("prepare", "megalith-10m", "--root", t.Root, "--extract");
        Assert.True(code == 0, err);
        var json = File.ReadAllText(Path.Combine(t.Root, "megalith10m_all.json"));
        var first = t.Report();

        // Same size and time, other bytes: a part that were read again would be damaged.
        var part = Path.Combine(t.Root, "raw/00000.tar");
        var time = File.GetLastWriteTimeUtc(part);
        File.WriteAllBytes(part, Enumerable.Repeat((byte)0xFF, (int)new FileInfo(part).Length).ToArray());
        File.SetLastWriteTimeUtc(part, time);
        (code, output, err) = Cli("prepare", "megalith-10m", "--root", t.Root, "--extract");
        Assert.True(code == 0, err);
        Assert.Contains("parts: 4, extracted: 0, skipped existing: 12", output);
        Assert.Equal(json, File.ReadAllText(Path.Combine(t.Root, "megalith10m_all.json")));
        var second = t.Report();
        foreach (var key in new[] { "entries", "written", "omitted", "refused_rows", "bytes", "refused_members", "members" })
            Assert.Equal(RecipeTree.Rows(first[key]), RecipeTree.Rows(second[key]));

        // A file of a finished part gone: the part is read again (here it is damaged, so that is reported).
        File.Delete(Path.Combine(t.Root, "raw/00000/101.png"));
        (code, output, err) = Cli("prepare", "megalith-10m", "--root", t.Root, "--extract");
        Assert.Equal(3, code);
        Assert.Contains("part error: raw/00000.tar: ", output);
    }

    [Fact]
    public void ExtractInterrupted_ThenRerun_GivesWhatAnUninterruptedRunGives()
    {
        using var whole = new RecipeTree("megalith-10m");
        using var cut = new RecipeTree("megalith-10m");
        PrepareCaptionTarRecipesTests.WriteMegalith(whole);
        PrepareCaptionTarRecipesTests.WriteMegalith(cut);
        PerPartPreparer.Run(PerPartPreparer.Megalith10m, PerPartPreparer.Megalith10mGroups, whole.Root, new PrepareOptions { Workers = 2, Extract = true });

        using var cts = new CancellationTokenSource();
        int written = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => PerPartPreparer.Run(PerPartPreparer.Megalith10m, PerPartPreparer.Megalith10mGroups, cut.Root,
            new PrepareOptions { Workers = 1, Extract = true, Cancellation = cts.Token, AfterFileWritten = () => { if (++written == 5) cts.Cancel(); } }));
        Assert.False(File.Exists(Path.Combine(cut.Root, "megalith10m_all.json")));
        var report = PerPartPreparer.Run(PerPartPreparer.Megalith10m, PerPartPreparer.Megalith10mGroups, cut.Root, new PrepareOptions { Workers = 2, Extract = true });
        Assert.Equal(12, report.Extraction!.Extracted + report.Extraction.SkippedExisting);
        Assert.InRange(report.Extraction.SkippedExisting, 4, 7);
        Assert.Equal(whole.Files(), cut.Files());
        foreach (var f in whole.Files().Where(f => f != "prepare-report.json"))
            Assert.Equal(File.ReadAllBytes(Path.Combine(whole.Root, f)), File.ReadAllBytes(Path.Combine(cut.Root, f)));
    }
}
