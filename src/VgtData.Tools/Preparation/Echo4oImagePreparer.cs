using System.Text.Json;
using VgtData.Text;
using VgtData.Storage;

namespace VgtData.Preparation;

/// <summary>
/// The Echo-4o-Image recipe in one step: with --extract, unpacks <c>raw/*/images/*.tar.gz</c> into <c>images/</c> as VGT's
/// extract.py does (<c>tar -xzf PART -C images</c>: member paths kept; without it the parts are only listed, and a
/// .tar.gz cannot be read in place, so the loader needs --extract), then does VGT's <c>process_metadata.py</c>: the
/// <c>task_type == "t2i"</c> lines of the two jsonl files become <c>{"image", "caption", "type"}</c> rows, the image found
/// as <c>images/&lt;basename&gt;</c> or, failing that, the same stem with .jpg, .png, .jpeg or .webp (in that order).
/// Lines VGT's script would stop on (not JSON, not an object, a non-string image) or turn into rows no loader can use
/// (a non-string instruction, an image path without a file name) are refused and listed.
/// </summary>
internal static class Echo4oImagePreparer
{
    public const string Name = "echo-4o-image";

    public static readonly string[] MetadataFiles =
    [
        "raw/Instruction-Following-Image/Instruction-Following-Image.jsonl",
        "raw/Surrel-Fantasy-Image/conflict.jsonl",
    ];

    public static readonly string[] PartPatterns =
    [
        "raw/Instruction-Following-Image/images/*.tar.gz",
        "raw/Surrel-Fantasy-Image/images/*.tar.gz",
    ];

    public const string NotT2i = "task_type not t2i";
    public const string NotJson = "not valid JSON";
    public const string NotAnObject = "not an object";
    public const string MissingOutputImage = "missing output_image";
    public const string ImageNotString = "output_image not a string";
    public const string NoFileName = "output_image has no file name";
    public const string InstructionNotString = "instruction not a string";
    public const string ImageNotFound = "image not in images/";

    public static readonly string[] OmissionReasons =
        [NotT2i, NotJson, NotAnObject, MissingOutputImage, ImageNotString, NoFileName, InstructionNotString, ImageNotFound];

    /// <summary>The extensions VGT's script tries, in its order, when the named file is not there.</summary>
    private static readonly string[] TriedExtensions = [".jpg", ".png", ".jpeg", ".webp"];

    private sealed record Row(string Image, string Caption, JsonElement? Type);

    public static PrepareReport Run(string root, PrepareOptions options)
    {
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root)) throw new VgtDataException($"{root}: no such folder");
        using var rootLock = RootLock.Acquire(root, "prepare");
        foreach (var m in MetadataFiles)
            if (!File.Exists(Path.Combine(root, m))) throw new VgtDataException($"{Path.Combine(root, m)} not found (expected the downloaded metadata file)");
        var parts = PartPatterns.SelectMany(p => VgtData.Sources.TarPartGlob.Expand(root, p)).ToList();
        if (parts.Count == 0)
            throw new VgtDataException($"no tar.gz parts match {Path.Combine(root, PartPatterns[0])} or {Path.Combine(root, PartPatterns[1])}");

        var images = Path.Combine(root, "images");
        var extraction = options.RunParts(parts, images, p => Path.GetRelativePath(root, p).Replace('\\', '/'));

        bool Exists(string name) => extraction.Present.Contains(name) || File.Exists(Path.Combine(images, name));
        var omissions = new Omissions(OmissionReasons, new HashSet<string> { NotT2i });
        var rows = new List<Row>();
        var documents = new List<JsonDocument>();
        int entries = 0;
        try
        {
            foreach (var m in MetadataFiles)
            {
                using var reader = new StreamReader(Storage.RegularFile.OpenInputStream(Path.Combine(root, m), Storage.FileLimit.Manifest));
                int lineNumber = 0;
                while (reader.ReadLine() is { } line)
                {
                    lineNumber++;
                    entries++;
                    var reason = Check(PythonString.Strip(line), Exists, documents, out var row);
                    if (reason is null) rows.Add(row!);
                    else omissions.Add($"{m}:{lineNumber}", reason);
                }
            }
            long bytes = rows.Select(r => r.Image).Distinct(StringComparer.Ordinal).Sum(r => ShareGpt4oImagePreparer.SizeOf(extraction, images, r["images/".Length..]));
            var report = omissions.Report(Name, entries, rows.Count, bytes, extraction);
            DataJson.WriteWithReport(root, rows, (w, r) =>
            {
                w.WriteString("image", r.Image);
                w.WriteString("caption", r.Caption);
                w.WritePropertyName("type");
                if (r.Type is { } t) t.WriteTo(w);
                else w.WriteStringValue("");
            }, report);
            return report;
        }
        finally
        {
            foreach (var d in documents) d.Dispose();
        }
    }

    private static string? Check(string line, Func<string, bool> exists, List<JsonDocument> documents, out Row? row)
    {
        row = null;
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException) { return NotJson; }
        var data = doc.RootElement;
        if (data.ValueKind != JsonValueKind.Object) { doc.Dispose(); return NotAnObject; }
        if (!(data.TryGetProperty("task_type", out var task) && task.ValueKind == JsonValueKind.String && task.GetString() == "t2i"))
        {
            doc.Dispose();
            return NotT2i;
        }
        documents.Add(doc);
        bool hasImage = data.TryGetProperty("output_image", out var image);
        if (!DataJson.Truthy(image, hasImage)) return MissingOutputImage;
        if (image.ValueKind != JsonValueKind.String) return ImageNotString;
        var fileName = DataJson.PosixBaseName(image.GetString()!);
        // VGT's os.path.exists would find the images/ folder itself: a row that can never load.
        if (fileName is "" or "." or "..") return NoFileName;
        string? found = exists(fileName) ? fileName : null;
        if (found is null)
        {
            var stem = PythonSplitextRoot(fileName);
            found = TriedExtensions.Select(e => stem + e).FirstOrDefault(exists);
        }
        if (found is null) return ImageNotFound;
        string caption = "";
        if (data.TryGetProperty("instruction", out var instruction))
        {
            if (instruction.ValueKind != JsonValueKind.String) return InstructionNotString;
            caption = instruction.GetString()!;
        }
        row = new Row("images/" + found, caption, data.TryGetProperty("type", out var type) ? type : null);
        return null;
    }

    /// <summary>Python's <c>os.path.splitext(name)[0]</c> for a base name: leading dots never start an extension.</summary>
    internal static string PythonSplitextRoot(string name)
    {
        int dot = name.LastIndexOf('.');
        if (dot <= 0) return name;
        for (int i = 0; i < dot; i++)
            if (name[i] != '.') return name[..dot];
        return name;
    }
}
