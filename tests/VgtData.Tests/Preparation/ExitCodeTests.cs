using System.Text.Json;
using VgtData.Preparation;

namespace VgtData.Tests.Preparation;

/// <summary><c>prepare</c> and <c>extract</c> give the same exit code for the same parts (docs/exit-codes.md): 0 when
/// every part was read to its end, refused members included; 3 when a part is damaged, after writing what was recovered.</summary>
public sealed class ExitCodeTests
{
    private static void WriteAnnotations(TempTree t, params string[] images) =>
        File.WriteAllText(t.Raw("text_to_image.json"), JsonSerializer.Serialize(images.Select(i => new Dictionary<string, object>
        {
            ["input_prompt"] = "prompt " + i,
            ["output_image"] = "image/" + i,
            ["output_image_resolution"] = new[] { 8, 8 },
        })));

    [Fact]
    public void DamagedPart_PrepareAndExtractBothExit3_PrepareStillWritesDataJsonAndReport()
    {
        using var t = new TempTree();
        File.WriteAllBytes(t.Raw("text_to_image_part_1.tar"), new TarBuilder().File("1.png", TestImages.Png(8, 8)).Build());
        var cut = new TarBuilder().File("2.png", TestImages.Png(8, 8, 2)).File("3.png", TestImages.Garbage(4000, 3)).Build(endMarker: false);
        File.WriteAllBytes(t.Raw("text_to_image_part_2.tar"), cut[..^2000]);
        WriteAnnotations(t, "1.png", "2.png", "3.png");

        var (code, output, err) = PrepareShareGptTests.RunCli("prepare", "sharegpt-4o-image", "--root", t.Root);
        Assert.Equal(3, code);
        Assert.Contains("entries: 3, written to data.json: 2", output);
        Assert.Contains("part error: text_to_image_part_2.tar: member '3.png' is truncated", output);
        Assert.Contains("vgtdata prepare: 1 tar part(s) damaged or cut short; data.json holds what was recovered (exit 3)", err);
        using (var data = JsonDocument.Parse(File.ReadAllText(Path.Combine(t.Root, "data.json"))))
            Assert.Equal(["images/1.png", "images/2.png"], data.RootElement.EnumerateArray().Select(e => e.GetProperty("image").GetString()));
        using (var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(t.Root, "prepare-report.json"))))
            Assert.Equal("text_to_image_part_2.tar", report.RootElement.GetProperty("part_errors")[0].GetProperty("part").GetString());

        (code, _, err) = PrepareShareGptTests.RunCli("extract", "--input", Path.Combine(t.Root, "raw", "text_to_image_part_*.tar"), "--out", Path.Combine(t.Root, "x"));
        Assert.Equal(3, code);
        Assert.Contains("vgtdata extract: 1 part(s) damaged or cut short", err);
    }

    [Fact]
    public void RefusedMembersOnly_PrepareAndExtractBothExit0()
    {
        using var t = new TempTree();
        File.WriteAllBytes(t.Raw("text_to_image_part_1.tar"), new TarBuilder()
            .File("1.png", TestImages.Png(8, 8)).File("../evil.png", [1]).Entry("l.png", '2', "/etc/passwd").Build());
        WriteAnnotations(t, "1.png");
        var (code, output, _) = PrepareShareGptTests.RunCli("prepare", "sharegpt-4o-image", "--root", t.Root);
        Assert.Equal(0, code);
        Assert.Contains("refused members: 2", output);
        (code, output, _) = PrepareShareGptTests.RunCli("extract", "--input", t.Raw("text_to_image_part_1.tar"), "--out", Path.Combine(t.Root, "x"));
        Assert.Equal(0, code);
        Assert.Contains("refused members: 2", output);
    }

    [Theory]
    [InlineData("{\"input_prompt\": \"x\"}", "object")]
    [InlineData("\"text\"", "string")]
    [InlineData("42", "number")]
    [InlineData("null", "null")]
    public void Prepare_AnnotationNotAList_OneClearLine_Exit1(string json, string found)
    {
        using var t = new TempTree();
        File.WriteAllBytes(t.Raw("text_to_image_part_1.tar"), new TarBuilder().File("1.png", TestImages.Png(8, 8)).Build());
        File.WriteAllText(t.Raw("text_to_image.json"), json);
        var (code, _, err) = PrepareShareGptTests.RunCli("prepare", "sharegpt-4o-image", "--root", t.Root);
        Assert.Equal(1, code);
        Assert.Equal($"vgtdata prepare: {t.Raw("text_to_image.json")}: expected a JSON array of entries, found {found}\n", err);
        Assert.False(File.Exists(Path.Combine(t.Root, "data.json")));
    }
}
