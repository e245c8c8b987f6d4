using System.Diagnostics;

namespace VgtData.Tests.Preparation;

/// <summary>
/// <c>prepare sharegpt-4o-image</c> against VGT's own scripts: the extract.py and process_metadata.py pasted in
/// sharegpt_4o_image_45k.md, run unchanged with /usr/bin/python3 (tqdm stubbed: it only draws progress) on the same
/// replica, give the data.json that prepare writes, with and without --extract.
/// </summary>
public sealed class ShareGptVgtScriptTests
{
    /// <summary>The replica's entries plus more of the kinds the old prepare got wrong: prompts of only whitespace, no
    /// output_image_resolution, and both at once.</summary>
    private static readonly string Entries = PrepareRecipesTests.ShareGptEntries.TrimEnd().TrimEnd(']') + """
         ,{"input_prompt": " ", "output_image": "image/4.png"},
         {"input_prompt": "\u3000", "output_image": "x/5.png", "output_image_resolution": null},
         {"input_prompt": "no resolution either", "output_image": "1.png", "output_image_resolution": ""},
         {"input_prompt": "\n", "output_image": "2.png", "output_image_resolution": [1, 2, 3, 4]},
         {"input_prompt": "zero", "output_image": "3.png", "output_image_resolution": [0, 0]},
         {"input_prompt": "missing image key"},
         {"input_prompt": "nowhere", "output_image": "6.png"}
        ]
        """;

    private static string[] PythonBlocks()
    {
        var text = File.ReadAllText(SharedData.Require("vgt-docs/datasets/sharegpt_4o_image_45k.md"));
        var blocks = new List<string>();
        for (int at = 0; (at = text.IndexOf("```python\n", at, StringComparison.Ordinal)) >= 0;)
        {
            at += "```python\n".Length;
            int end = text.IndexOf("```", at, StringComparison.Ordinal);
            blocks.Add(text[at..end]);
            at = end + 3;
        }
        return [.. blocks];
    }

    private static void Python(string workDir, string script, string stubs)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3", [script]) { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["PYTHONPATH"] = stubs;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), "python did not finish");
        Assert.True(p.ExitCode == 0, stdout.Result + stderr);
    }

    [SkippableFact]
    public void DataJson_IsWhatVgtsPastedScriptsWrite_InPlaceAndExtracted()
    {
        Skip.IfNot(File.Exists("/usr/bin/python3"), "needs /usr/bin/python3");
        var blocks = PythonBlocks();
        Assert.Equal(3, blocks.Length);  // extract.py, process_metadata.py, the config
        using var vgt = new RecipeTree("sharegpt-4o-image");
        using var extracted = new RecipeTree("sharegpt-4o-image");
        using var inPlace = new RecipeTree("sharegpt-4o-image");
        foreach (var t in new[] { vgt, extracted, inPlace })
        {
            PrepareRecipesTests.WriteShareGptParts(t);
            t.Write("raw/text_to_image.json", Entries);
        }
        var stubs = Path.Combine(vgt.Parent, "stubs");
        Directory.CreateDirectory(stubs);
        File.WriteAllText(Path.Combine(stubs, "tqdm.py"), "def tqdm(iterable, *args, **kwargs):\n    return iterable\n");
        File.WriteAllText(Path.Combine(vgt.Root, "raw", "extract.py"), blocks[0]);
        File.WriteAllText(Path.Combine(vgt.Root, "process_metadata.py"), blocks[1]);
        Python(Path.Combine(vgt.Root, "raw"), "extract.py", stubs);
        Python(vgt.Root, "process_metadata.py", stubs);
        var expected = File.ReadAllText(Path.Combine(vgt.Root, "data.json"));

        var (code, output, err) = Fixtures.CliRun.Run("prepare", "sharegpt-4o-image", "--root", extracted.Root, "--extract");
        Assert.True(code == 0, err);
        // json.dump writes no final newline; prepare ends the file with one.
        Assert.Equal(expected + "\n", File.ReadAllText(Path.Combine(extracted.Root, "data.json")));
        Assert.Contains("entries: 24, written to data.json: 16", output);
        (code, _, err) = Fixtures.CliRun.Run("prepare", "sharegpt-4o-image", "--root", inPlace.Root);
        Assert.True(code == 0, err);
        Assert.Equal(expected + "\n", File.ReadAllText(Path.Combine(inPlace.Root, "data.json")));
        // Every row VGT leaves out is listed with its reason.
        Assert.Equal(
            """[{"row":"raw/text_to_image.json[6]","reason":"missing prompt"},{"row":"raw/text_to_image.json[7]","reason":"missing prompt"},""" +
            """{"row":"raw/text_to_image.json[8]","reason":"missing output_image"},{"row":"raw/text_to_image.json[9]","reason":"image not in images/ or any tar"},""" +
            """{"row":"raw/text_to_image.json[10]","reason":"image not in images/ or any tar"},{"row":"raw/text_to_image.json[15]","reason":"missing prompt"},""" +
            """{"row":"raw/text_to_image.json[22]","reason":"missing output_image"},{"row":"raw/text_to_image.json[23]","reason":"image not in images/ or any tar"}]""",
            RecipeTree.Rows(inPlace.Report()["refused_rows"]));
    }
}
