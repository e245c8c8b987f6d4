using System.IO.Compression;
using System.Text;
using VgtData.Config;
using VgtData.Config.Import;
using VgtData.Latents;
using VgtData.Manifests;
using VgtData.Tests.Latents;

namespace VgtData.Tests.Fuzz;

/// <summary>
/// The fuzz targets the tests and <c>benchmarks/Fuzz</c> share. To add one (PNG rows, JPEG, tar), write a factory
/// returning a <see cref="FuzzTarget"/> and list it in <see cref="All"/>; both runners pick it up by name.
/// </summary>
public static class FuzzTargets
{
    /// <summary>Every target; <paramref name="workDir"/> is an empty folder targets may write scratch files into.</summary>
    public static IReadOnlyList<FuzzTarget> All(string workDir) =>
    [
        TorchSavePickle(),
        TorchSaveArchive(),
        ManifestJson(workDir),
        ManifestJsonLines(workDir),
        ConfigImport(workDir),
        ConfigJson(workDir),
    ];

    /// <summary>
    /// A fresh folder for scratch files: in memory (/dev/shm) where Linux has it, since the manifest targets write a
    /// file per input and a busy disk would make them I/O-bound; else the temp folder. The caller deletes it.
    /// </summary>
    public static string CreateWorkDir()
    {
        const string shm = "/dev/shm";
        if (OperatingSystem.IsLinux() && Directory.Exists(shm))
        {
            try
            {
                var dir = Path.Combine(shm, $"vgtdata-fuzz-{Environment.ProcessId}-{Guid.NewGuid():N}");
                Directory.CreateDirectory(dir);
                return dir;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not writable here: fall back to the temp folder.
            }
        }
        return Directory.CreateTempSubdirectory("vgtdata-fuzz-").FullName;
    }

    // ---- torch.save (.pt): zip container + pickle -------------------------------------------------------------------

    private static readonly byte[] FloatStorage = Enumerable.Range(0, 12).SelectMany(i => BitConverter.GetBytes((float)i)).ToArray();

    /// <summary>Pickles a plain torch.save(tensor) may hold, each paired with the storage it names (key "0").</summary>
    internal static IReadOnlyList<(byte[] Pickle, byte[] Storage)> PickleSeeds() =>
    [
        // float [2, 3], contiguous
        (new PickleWriter().Proto().Tensor("FloatStorage", "0", 12, 0, [2, 3], [3, 1]).Stop().ToArray(), FloatStorage),
        // a transposed view with an offset
        (new PickleWriter().Proto().Tensor("FloatStorage", "0", 12, 1, [3, 2], [1, 4]).Stop().ToArray(), FloatStorage),
        // a 0-dim half scalar
        (new PickleWriter().Proto().Tensor("HalfStorage", "0", 1, 0, [], []).Stop().ToArray(), [0x00, 0x3C]),
        // an empty int64 tensor
        (new PickleWriter().Proto().Tensor("LongStorage", "0", 0, 0, [0, 4], [4, 1]).Stop().ToArray(), []),
        // a stride-0 (expanded) byte view, as torch.save keeps it
        (new PickleWriter().Proto().Tensor("ByteStorage", "0", 2, 1, [4, 3], [0, 0]).Stop().ToArray(), [7, 9]),
        (ProtocolFourPickle(), FloatStorage),
    ];

    /// <summary>
    /// A pickle in the style of protocol 4 (FRAME, SHORT_BINUNICODE, STACK_GLOBAL, MEMOIZE, BINGET, TUPLE1-3, BININT1/2,
    /// LONG1, NEWFALSE, OrderedDict from a list of pairs), then BUILD with an empty dict: the opcodes the writer above lacks.
    /// </summary>
    private static byte[] ProtocolFourPickle()
    {
        var s = new MemoryStream();
        void B(params byte[] b) => s.Write(b);
        void Str(string v) { var b = Encoding.UTF8.GetBytes(v); B(0x8c, (byte)b.Length); s.Write(b); B(0x94); }
        B(0x80, 4);
        B(0x95, 0, 0, 0, 0, 0, 0, 0, 0); // FRAME (length only a hint)
        Str("torch._utils"); Str("_rebuild_tensor_v2"); B(0x93, 0x94);
        B((byte)'(');
        B((byte)'(');
        Str("storage"); Str("torch"); Str("FloatStorage"); B(0x93, 0x94);
        Str("0"); Str("cpu"); B((byte)'K', 12);
        B((byte)'t', 0x94, (byte)'Q');
        B(0x8a, 1, 2); // LONG1 2: the storage offset
        B((byte)'K', 2, (byte)'M', 5, 0, 0x86, 0x94); // size (2, 5) as TUPLE2
        B((byte)'K', 5, (byte)'K', 1, 0x86, 0x94); // stride (5, 1)
        B(0x89); // requires_grad False
        Str("collections"); Str("OrderedDict"); B(0x93, 0x94);
        B((byte)']', (byte)'(', (byte)'e', 0x85, (byte)'R'); // OrderedDict([]) via TUPLE1
        B((byte)'t', (byte)'R', 0x94);
        B((byte)'}', (byte)'(', (byte)'u', (byte)'b'); // BUILD with an empty state
        B((byte)'.');
        return s.ToArray();
    }

    private static readonly byte[][] PickleTokens =
    [
        .. "()tRQbsuae}]N.".Select(c => new[] { (byte)c }),
        [0x80, 2], [0x80, 5], [0x95, 8, 0, 0, 0, 0, 0, 0, 0], [0x94], [0x93], [0x85], [0x86], [0x87], [0x88], [0x89],
        "q\0"u8.ToArray(), "h\0"u8.ToArray(), "h\x07"u8.ToArray(), [(byte)'r', 0xFF, 0xFF, 0xFF, 0xFF], [(byte)'j', 0, 0, 0, 0],
        [(byte)'J', 0xFF, 0xFF, 0xFF, 0x7F], [(byte)'J', 0, 0, 0, 0x80], [(byte)'K', 0xFF], [(byte)'M', 0xFF, 0xFF],
        [0x8a, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], [0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1], [0x8b, 0xFF, 0xFF, 0xFF, 0x7F],
        [(byte)'X', 0xFF, 0xFF, 0xFF, 0x7F], [0x8d, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [(byte)'B', 0, 0, 0, 0x80],
        [(byte)'G', 0x7F, 0xF0, 0, 0, 0, 0, 0, 0],
        "ctorch\nFloatStorage\n"u8.ToArray(), "ctorch\nBoolStorage\n"u8.ToArray(), "ctorch\nQInt8Storage\n"u8.ToArray(),
        "ctorch._utils\n_rebuild_tensor\n"u8.ToArray(), "cos\nsystem\n"u8.ToArray(), "ccollections\nOrderedDict\n"u8.ToArray(),
        "\x8c\x07storage"u8.ToArray(), [0x8c, 1, 0xFF],
    ];

    /// <summary>torch.save archive whose data.pkl is mutated (the zip around it is rebuilt, so its CRCs stay right).</summary>
    public static FuzzTarget TorchSavePickle()
    {
        var seeds = PickleSeeds();
        var storageOf = seeds.ToDictionary(s => Convert.ToBase64String(s.Pickle), s => s.Storage);
        return new FuzzTarget(
            "torch-save-pickle",
            seeds.Select(s => s.Pickle).ToArray(),
            PickleTokens,
            pickle =>
            {
                // Seeds come with their own storage; a mutated pickle gets the 48-byte float storage.
                var storage = storageOf.TryGetValue(Convert.ToBase64String(pickle), out var st) ? st : FloatStorage;
                LoadTensor(TorchSaveBuilder.Archive(pickle, ("0", storage)));
            },
            // Zip writing and reading, the pickle's objects and the gathered tensor (at most 48 bytes of storage
            // or the 16 MiB a repeating, stride-0 view may take): a declared size must not move this.
            length => (24L << 20) + 64L * length,
            typeof(VgtDataException));
    }

    /// <summary>Whole torch.save archives mutated byte by byte: the zip reader, entry sizes, CRCs, names.</summary>
    public static FuzzTarget TorchSaveArchive()
    {
        var seeds = PickleSeeds().Select(s => TorchSaveBuilder.Archive(s.Pickle, ("0", s.Storage))).ToList();
        seeds.Add(Compressed(PickleSeeds()[0].Pickle, FloatStorage));
        return new FuzzTarget(
            "torch-save-archive",
            seeds,
            [
                "PK\x03\x04"u8.ToArray(), "PK\x01\x02"u8.ToArray(), "PK\x05\x06"u8.ToArray(), "PK\x06\x06"u8.ToArray(),
                "archive/data.pkl"u8.ToArray(), "archive/data/0"u8.ToArray(), "archive/byteorder"u8.ToArray(),
                [0xFF, 0xFF, 0xFF, 0x7F], [0xFF, 0xFF, 0xFF, 0xFF], [8, 0], [0, 0], [14, 0],
            ],
            LoadTensor,
            length => (24L << 20) + 64L * length,
            typeof(VgtDataException));
    }

    private static byte[] Compressed(byte[] pickle, byte[] storage)
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in new[] { ("archive/data.pkl", pickle), ("archive/byteorder", "little"u8.ToArray()), ("archive/data/0", storage) })
            {
                using var s = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
                s.Write(bytes);
            }
        }
        return ms.ToArray();
    }

    private static void LoadTensor(byte[] archive)
    {
        using var t = TorchSaveReader.Load(new MemoryStream(archive, writable: false), "fuzz.pt");
        // Touch the data, so a tensor built with wrong sizes would show here.
        _ = t.bytes.Length;
    }

    // ---- manifests: data.json arrays and JSONL ---------------------------------------------------------------------

    private static readonly string[] JsonSeeds =
    [
        """[{"image": "a.png", "caption": "a cat"}, {"image": "b.png", "caption": "", "width": 10, "height": 20}]""",
        "\uFEFF// made by hand\n[\n  /* first */ {\"image\": \"a.png\", \"caption\": \"x\",},\n  {\"image\": \"b.png\"},\n]\n",
        """[{"image": "d\u00e9.png", "caption": "\ud800 lone \"q\" \n\t\/"}, {"image": "e.png", "caption": "\ud83d\ude00 pair"}]""",
        """[{"image": "a.png", "annotation": "a.txt"}, {"image": "b.png", "annotation": "b.txt", "caption": "both"}]""",
        "[{\"image\": \"a.png\", \"caption\": \"c\"}]\n{\"trailing\": 1}\n",
        """[{"image": "a.png", "meta": {"x": [1, 2, {"y": null}]}, "caption": "c", "width": 1e3, "height": -5, "image": "z.png"}]""",
        "[]",
    ];

    private static readonly string[] JsonLinesSeeds =
    [
        "{\"image\": \"a.png\", \"caption\": \"x\"}\n{\"image\": \"b.png\", \"caption\": \"y\", \"width\": 3}\n",
        "\uFEFF{\"image\": \"a.png\"}\r\n\n// a comment\n{\"image\": \"b\\u00e9.png\", \"caption\": \"\\udc00\"}",
        "{\"image\": \"a.png\", \"annotation\": \"a.txt\",}\n",
    ];

    private static readonly byte[][] JsonTokens =
    [
        .. new[]
        {
            "\"", "\\", "\\ud800", "\\udc00", "\\u", "\\u12", "\\x", "{", "}", "[", "]", ",", ":", "//", "/*", "*/", "\n", "\r\n",
            "\"image\"", "\"caption\"", "\"annotation\"", "\"width\"", "\"height\"", "1e400", "-0", "99999999999", "null",
            "true", "{\"image\": \"q.png\"}", "[[[[[[[[", "\uFEFF",
        }.Select(Encoding.UTF8.GetBytes),
        [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0x00],
    ];

    public static FuzzTarget ManifestJson(string workDir) => ManifestTarget("manifest-json", workDir, ".json", JsonSeeds);

    public static FuzzTarget ManifestJsonLines(string workDir) => ManifestTarget("manifest-jsonl", workDir, ".jsonl", JsonLinesSeeds);

    private static FuzzTarget ManifestTarget(string name, string workDir, string extension, string[] seeds) => new(
        name,
        seeds.Select(Encoding.UTF8.GetBytes).ToArray(),
        JsonTokens,
        input =>
        {
            // One scratch file per thread: the benchmark may run targets side by side.
            var path = Path.Combine(workDir, $"{name}-{Environment.CurrentManagedThreadId}{extension}");
            File.WriteAllBytes(path, input);
            var manifest = Manifest.Load(path);
            for (var i = 0; i < manifest.Count; i++)
            {
                var e = manifest[i];
                if (e.Image != manifest.ImageOf(i)) throw new InvalidOperationException($"entry {i}: ImageOf disagrees with the indexer");
            }
            // Tools that rewrite a manifest must see exactly the entries the loader saw.
            var seen = 0;
            Manifest.ReadEntryBytes(path, (_, _) => { seen++; return true; });
            if (seen != manifest.Count)
                throw new InvalidOperationException($"ReadEntryBytes saw {seen} entries but Load read {manifest.Count}");
        },
        // The 4 MiB read buffer (rented once per thread), the row table and the string pool: the input is tiny.
        length => (12L << 20) + 64L * length,
        typeof(VgtDataException));

    // ---- configs: `config import` of Python, JSON composition ---------------------------------------------------------

    private static readonly string[] PythonSeeds =
    [
        "from mmengine.config import read_base\nwith read_base():\n    from .base import size, template, tok\n"
            + "d = dict(type=CaptionDataset, data_path='data/x.json', image_size=size, tokenizer=tok, prompt_template=template, max_length=2 * 32)\n"
            + "train_dataloader = dict(batch_size=4, num_workers=1, dataset=dict(type='ConcatDataset', datasets=[d, d]),\n"
            + "    sampler=dict(type='InfiniteSampler', shuffle=True), collate_fn=dict(type='collate_func_gen', resolutions=(size, size), pad_index=0))\n"
            + "train_dataloader.batch_size = 8\ntrain_dataloader['num_workers'] = 2\n",
        "# -*- coding: utf-8 -*-\ntokenizer = 'embedded:o200k'\nimage_size = 448\nmax_length = (2**63 - 1) * 2 + 450\n"
            + "prompt_template = {'INSTRUCTION': 'U: {input}\\n', \"GENERATION\": ('Make: ' \"{input}\"), 'CFG': r'Make.', 'IMG_START_TOKEN': '<img>'}\n"
            + "if __name__ == '__main__':\n    print('no')\n",
        "a = 'ab' * 3\nb = [a, a] + [1] * 2\nc = -7 // 2 + ~5 | 1 << 3\ndataset = dict(type='CaptionDataset', data_path=a, image_size=[448, 448], "
            + "tokenizer=dict(type=AutoTokenizer.from_pretrained, pretrained_model_name_or_path='org/model'), cap_source=b[0], **dict(unconditional=0.1))\n",
    ];

    private static readonly byte[][] PythonTokens =
    [
        .. new[]
        {
            "(", ")", "[", "]", "{", "}", "**", "*", "+", "-", "~", "//", "%", "<<", ">>", "|", "&", "^", "not ", "lambda: ", " if 1 else ",
            "\n", "    ", "\t", ":", ",", ".", "=", "+=", "'", "\"", "\"\"\"", "\\", "#", "0x", "0b2", "1e400", "10 ** 10", "* 1000000",
            "[a, a]", "a + a", "d['k'] = d\n", "with read_base():\n    from .base import *\n", "from ..base import x\n", "import os\n",
            "dict(", "**d", "'embedded:o200k'", "'s3://b/k'", "\\ud800", "\\U0011ffff", "\\x", "99999999999999999999999", "None", "True",
        }.Select(Encoding.UTF8.GetBytes),
        [0xE9], [0xC3], [0xED, 0xA0, 0x80], [0xEF, 0xBB, 0xBF], [0x00], [0x0D],
    ];

    /// <summary>`config import` as the CLI runs it: evaluate the Python (and its read_base file), write the JSON,
    /// load that JSON back. Every input ends in a result or a typed error within the importer's budget.</summary>
    public static FuzzTarget ConfigImport(string workDir)
    {
        File.WriteAllText(Path.Combine(workDir, "base.py"),
            "size = 448\ntemplate = dict(INSTRUCTION='{input}', GENERATION='{input}', CFG='', IMG_START_TOKEN='<img>')\ntok = 'embedded:o200k'\n");
        return new FuzzTarget(
            "config-import",
            PythonSeeds.Select(Encoding.UTF8.GetBytes).ToArray(),
            PythonTokens,
            input =>
            {
                var folder = Directory.CreateDirectory(Path.Combine(workDir, $"import-{Environment.CurrentManagedThreadId}")).FullName;
                File.Copy(Path.Combine(workDir, "base.py"), Path.Combine(folder, "base.py"), overwrite: true);
                var source = Path.Combine(folder, "main.py");
                File.WriteAllBytes(source, input);
                var result = VgtConfigImporter.Import(source, new VgtImportOptions { OutputDirectory = folder, DataRoot = folder });
                if (result.HasErrors) return;
                var output = Path.Combine(folder, "out.json");
                File.WriteAllText(output, VgtConfigImporter.ToJsonText(result, "main.py"));
                try { ConfigLoader.Load(output); }
                catch (ConfigException) { }   // the written JSON is checked like any config: refusals are results here
            },
            // The importer's 64 MiB budget (what it charges is about what it allocates, twice at most), the tokens
            // and syntax tree of the input, and the JSON written.
            length => (320L << 20) + 400L * length,
            typeof(VgtDataException));
    }

    private static readonly string[] ConfigJsonSeeds =
    [
        """{ "base": ["b1.json", "b2.json"], "tokenizer": "embedded:o200k", "max_length": 64, "prompt_template": { "SEP": "x" } }""",
        "// a comment\n{ \"base\": \"b1.json\", \"tokenizer\": \"embedded:o200k\", \"dataset\": { \"type\": \"ConcatDataset\", \"datasets\": [ { \"base\": \"member.json\", \"repeat\": 2 }, "
            + "{ \"type\": \"CaptionDataset\", \"data_path\": \"d.json\", \"image_size\": 64 } ] }, }",
        """{ "train_dataloader": { "batch_size": 4, "dataset": { "type": "CaptionDataset", "data_path": "s3://b/d.json", "tokenizer": "embedded:o200k" } } }""",
    ];

    private static readonly byte[][] ConfigJsonTokens =
    [
        .. new[]
        {
            "\"", "\\", "\\ud800", "\\udc00", "\\u", "{", "}", "[", "]", ",", ":", "//", "/*", "*/", "\n", "\"base\"", "\"b1.json\"",
            "\"b2.json\"", "\"b3.json\"", "\"main.json\"", "\"member.json\"", "\"dataset\"", "\"datasets\"", "\"tokenizer\"",
            "\"max_length\": 1, \"max_length\": 2", "\"prompt_template\"", "\"internvl3\"", "1e400", "-0", "99999999999999999999", "null",
            "true", "[[[[[[[[", "\uFEFF",
        }.Select(Encoding.UTF8.GetBytes),
        [0xC3], [0xED, 0xA0, 0x80], [0x00],
    ];

    /// <summary>JSON config composition: the mutated file names a diamond of bases (b1 and b2 both name b3) and a
    /// ConcatDataset member file; <see cref="ConfigLoader.Load"/> must end in a config or a <see cref="ConfigException"/>.</summary>
    public static FuzzTarget ConfigJson(string workDir)
    {
        var bases = new Dictionary<string, string>
        {
            ["b1.json"] = """{ "base": "b3.json", "image_size": 64, "prompt_template": "internvl3" }""",
            ["b2.json"] = """{ "base": ["b3.json", "b3.json"], "prompt_template": { "INSTRUCTION": "{input}", "GENERATION": "{input}", "CFG": "", "IMG_START_TOKEN": "<img>" } }""",
            ["b3.json"] = """{ "max_length": 32, "pad_index": 0, "train_dataloader": { "batch_size": 2 } }""",
            ["member.json"] = """{ "base": "b3.json", "dataset": { "type": "CaptionDataset", "data_path": "m.json" } }""",
        };
        return new FuzzTarget(
            "config-json",
            ConfigJsonSeeds.Select(Encoding.UTF8.GetBytes).ToArray(),
            ConfigJsonTokens,
            input =>
            {
                var folder = Directory.CreateDirectory(Path.Combine(workDir, $"compose-{Environment.CurrentManagedThreadId}")).FullName;
                foreach (var (name, text) in bases) File.WriteAllText(Path.Combine(folder, name), text);
                var main = Path.Combine(folder, "main.json");
                File.WriteAllBytes(main, input);
                var config = ConfigLoader.Load(main, ["max_length=16"]);
                _ = config.ToJson();
            },
            length => (16L << 20) + 400L * length,
            typeof(VgtDataException));
    }
}
