using System.Buffers.Binary;
using VgtData.Images;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Images;

/// <summary>Every damaged kind through the one decoder: the same reason and detail whether the whole image, the rows of a
/// crop or a draft is asked for, because the format is sniffed and the limits and damage checks run once, before any route.</summary>
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

    [Fact]
    public void TheIntactFileTheDamagedOnesComeFromDecodes()
    {
        using var image = ImageDecoder.Shared.Decode(GreyPng(), "ok.png", ImageLimits.Default);
        Assert.Equal((100, 90), (image.Width, image.Height));
        using var jpeg = ImageDecoder.Shared.Decode(JpegRoute.Photo(96, 96), "ok.jpg", ImageLimits.Default);
        Assert.Equal((96, 96), (jpeg.Width, jpeg.Height));
    }
}
