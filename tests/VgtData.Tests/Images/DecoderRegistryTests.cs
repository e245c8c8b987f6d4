using System.Buffers.Binary;
using VgtData.Images;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Images;

/// <summary>Every damaged kind through the one decoder: the same reason and detail whether the whole image, the rows of a
/// crop or a draft is asked for, because the format is sniffed and the limits and damage checks run once, before any route
/// decodes; a counting route table shows each check asked once and the one step that refuses each kind.</summary>
public sealed class DecoderRegistryTests
{
    /// <summary>100 × <paramref name="height"/> rows of 8-bit grey, filter 0.</summary>
    private static byte[] GreyRows(int height) =>
        Enumerable.Range(0, height).SelectMany(y => new byte[] { 0 }.Concat(Enumerable.Range(0, 100).Select(x => (byte)(x * 7 ^ y * 13)))).ToArray();

    /// <summary>A 100x90 grey PNG: signature, IHDR (to byte 33), one IDAT, IEND.</summary>
    private static byte[] GreyPng() => TestImages.PngFromZlib(100, 90, 0, TestImages.Zlib(GreyRows(90)));

    public static TheoryData<string> Kinds() => new()
    {
        "empty", "unknown", "png-cut-in-idat", "png-no-iend", "png-idat-crc", "png-ihdr-crc", "png-short-image-data",
        "png-bomb", "png-bomb-cut", "png-decode-memory", "png-too-small", "png-bad-aspect",
        "jpeg-cut", "jpeg-two-components", "jpeg-no-frame", "gif-cut",
    };

    private static (byte[] Bytes, SampleFailureReason Reason, string Detail) Damaged(string kind)
    {
        var png = GreyPng();
        int idatLength = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(33));
        switch (kind)
        {
            case "empty":
                return ([], SampleFailureReason.Undecodable, "file is empty");
            case "unknown":
                return ("hello, world"u8.ToArray(), SampleFailureReason.Undecodable, "not a recognised image format");
            case "png-cut-in-idat":
                return (png[..51], SampleFailureReason.Truncated, $"PNG chunk 'IDAT' at byte 33 needs {idatLength} bytes, the file ends at 51");
            case "png-no-iend":
                return (png[..^12], SampleFailureReason.Truncated, $"PNG ends at byte {png.Length - 12} without an IEND chunk");
            case "png-idat-crc":
                png[33 + 8 + idatLength / 2] ^= 0x10;
                return (png, SampleFailureReason.Undecodable, "PNG chunk 1 ('IDAT' at byte 33) fails its CRC check: the file is damaged");
            case "png-ihdr-crc":
                png[29] ^= 1;
                return (png, SampleFailureReason.Undecodable, "PNG header (IHDR) checksum does not match");
            case "png-short-image-data":
                return (TestImages.PngFromZlib(100, 90, 0, TestImages.Zlib(GreyRows(45))), SampleFailureReason.Truncated,
                    "PNG image data ends after 45 of 90 rows");
            case "png-bomb":
                return (TestImages.PngWithHeader(20000, 20000), SampleFailureReason.TooManyPixels, "20000x20000 = 400000000 pixels exceeds the limit of 178956970");
            case "png-bomb-cut":   // the limits come before the damage check
                return (TestImages.PngWithHeader(20000, 20000)[..40], SampleFailureReason.TooManyPixels, "20000x20000 = 400000000 pixels exceeds the limit of 178956970");
            case "png-decode-memory":
                return (TestImages.PngWithHeader(9000, 9000), SampleFailureReason.TooManyPixels, "9000x9000 needs about 308 MiB to decode, over the limit of 256 MiB");
            case "png-too-small":
                return (TestImages.PngWithHeader(60, 90), SampleFailureReason.TooSmall, "60x90 has a side of at most 80 px");
            case "png-bad-aspect":
                return (TestImages.PngWithHeader(1100, 100), SampleFailureReason.BadAspect, "1100x100 has aspect 11, outside (0.1, 10)");
            case "jpeg-cut":
            {
                var jpeg = JpegRoute.Photo(96, 96);
                return (jpeg[..(jpeg.Length * 2 / 3)], SampleFailureReason.Truncated, "JPEG ends without an end-of-image marker");
            }
            case "jpeg-two-components":
            {
                var jpeg = JpegRoute.Photo(96, 96);
                int sof = 2;
                while (!(jpeg[sof] == 0xFF && jpeg[sof + 1] == 0xC0)) sof++;
                jpeg[sof + 9] = 2;
                return (jpeg, SampleFailureReason.Undecodable, "JPEG with 2 colour components");
            }
            case "jpeg-no-frame":
                return ([0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9], SampleFailureReason.Undecodable, "JPEG has no frame header before its image data");
            case "gif-cut":
                return ("GIF89a\u0064\0\u0064\0"u8.ToArray(), SampleFailureReason.Truncated, "GIF screen descriptor is cut short");
            default:
                throw new ArgumentException(kind);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EachDamagedKindIsRefusedWithItsReasonAndDetail(string kind)
    {
        var (bytes, reason, detail) = Damaged(kind);
        var decoder = ImageDecoder.Shared;
        var limits = ImageLimits.Default;
        foreach (var decode in new Func<IDisposable>[]
                 {
                     () => decoder.Decode(bytes, "bad.img", limits),
                     () => decoder.Decode(bytes, "bad.img", limits, rowsNeeded: 1),
                     () => decoder.DecodeDraft(bytes, "bad.img", limits, 16, 16, 1),
                 })
        {
            var e = Assert.Throws<SampleException>(() => decode().Dispose());
            Assert.Equal((reason, detail, "bad.img"), (e.Reason, e.Detail, e.Path));
        }
    }

    /// <summary>Where each kind is refused: "sniff" (no route is asked anything), "header" (the route's size read),
    /// "limits" (after the size, before any damage check), "damage" (the route's one damage check), "decode" (found while
    /// decoding, after the damage check passed).</summary>
    private static readonly Dictionary<string, string> RefusedAt = new()
    {
        ["empty"] = "sniff", ["unknown"] = "sniff",
        ["png-cut-in-idat"] = "damage", ["png-no-iend"] = "damage", ["png-idat-crc"] = "damage", ["png-ihdr-crc"] = "header",
        ["png-short-image-data"] = "decode",   // the row decoder finds it while inflating, the one place it is looked for
        ["png-bomb"] = "limits", ["png-bomb-cut"] = "limits", ["png-decode-memory"] = "limits", ["png-too-small"] = "limits",
        ["png-bad-aspect"] = "limits",
        ["jpeg-cut"] = "damage", ["jpeg-two-components"] = "damage", ["jpeg-no-frame"] = "header", ["gif-cut"] = "header",
    };

    /// <summary>A route that counts what the registry asks of it and names the step that refused the file.</summary>
    private sealed class CountingRoute(IImageRoute inner) : IImageRoute
    {
        public int Sizes, DamageChecks, Decodes;
        public string? RefusedBy;   // the step that threw or named damage

        public string Format => inner.Format;
        public bool Matches(ReadOnlySpan<byte> data) => inner.Matches(data);
        public (int Width, int Height) ReadSize(ReadOnlyMemory<byte> data, string path) { Sizes++; return Step("header", () => inner.ReadSize(data, path)); }
        public ImageDamage? FindDamage(ReadOnlyMemory<byte> data, string path)
        {
            DamageChecks++;
            var damage = Step("damage", () => inner.FindDamage(data, path));
            if (damage != null) RefusedBy = "damage";
            return damage;
        }
        public RgbImage Decode(ReadOnlyMemory<byte> data, string path, int rowsNeeded) { Decodes++; return Step("decode", () => inner.Decode(data, path, rowsNeeded)); }
        public RgbImage DecodeDraft(ReadOnlyMemory<byte> data, string path, int requestWidth, int requestHeight, int rowsNeeded)
        {
            Decodes++;
            return Step("decode", () => inner.DecodeDraft(data, path, requestWidth, requestHeight, rowsNeeded));
        }

        private T Step<T>(string step, Func<T> run)
        {
            try { return run(); }
            catch (SampleException) { RefusedBy = step; throw; }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EachDamagedKindIsCheckedOnceInOnePlace(string kind)
    {
        var (bytes, reason, detail) = Damaged(kind);
        foreach (var draft in new[] { false, true })
        {
            var routes = ImageDecoder.DefaultRoutes.Select(r => new CountingRoute(r)).ToArray();
            var decoder = new ImageDecoder(routes);
            var e = Assert.Throws<SampleException>(() =>
                (draft ? decoder.DecodeDraft(bytes, "bad.img", ImageLimits.Default, 16, 16, 1) : decoder.Decode(bytes, "bad.img", ImageLimits.Default)).Dispose());
            Assert.Equal((reason, detail), (e.Reason, e.Detail));
            var asked = routes.Where(r => r.Sizes + r.DamageChecks + r.Decodes > 0).ToArray();
            string at = RefusedAt[kind];
            if (at == "sniff")
            {
                Assert.Empty(asked);
                continue;
            }
            // One route is asked, each step at most once, in order, and the refusal comes from the step named.
            var route = Assert.Single(asked);
            var expected = at switch
            {
                "header" => (1, 0, 0, "header"),
                "limits" => (1, 0, 0, (string?)null),
                "damage" => (1, 1, 0, "damage"),
                _ => (1, 1, 1, "decode"),
            };
            Assert.Equal(expected, (route.Sizes, route.DamageChecks, route.Decodes, route.RefusedBy));
        }
    }

    [Fact]
    public void TheIntactFileTheDamagedOnesComeFromDecodes()
    {
        using var image = ImageDecoder.Shared.Decode(GreyPng(), "ok.png", ImageLimits.Default);
        Assert.Equal((100, 90), (image.Width, image.Height));
        using var jpeg = ImageDecoder.Shared.Decode(JpegRoute.Photo(96, 96), "ok.jpg", ImageLimits.Default);
        Assert.Equal((96, 96), (jpeg.Width, jpeg.Height));
    }
}
