namespace VgtData.Tests.Images;

/// <summary>
/// A 24×16 CMYK JPEG whose black channel covers 0–255 (the golden <c>cmyk_q90</c> comes from Pillow's RGB → CMYK, which
/// leaves black at 0, so it cannot tell <c>c + k</c> from <c>c − k</c>), and Pillow 9.4's <c>convert('RGB')</c> of it.
/// Made with Debian 12's Pillow 9.4.0: four 'L' bands, band b at (x, y) = (11x + 7(b + 1)y + 40b) mod 256, merged to
/// CMYK, saved as JPEG quality 95 (Pillow writes an Adobe marker, so the file is inverted CMYK), reopened, converted.
/// </summary>
internal static class CmykJpegFixture
{
    public const int Width = 24, Height = 16;

    public static byte[] Jpeg => Convert.FromBase64String(JpegBase64);

    public static byte[] PillowRgb => Convert.FromBase64String(RgbBase64);

    private const string JpegBase64 =
        "/9j/7gAOQWRvYmUAZAAAAAAA/9sAQwACAQEBAQECAQEBAgICAgIEAwICAgIFBAQDBAYFBgYGBQYGBgcJCAYHCQcGBggLCAkKCgoKCgYICwwLCg" +
        "wJCgoK/8AAFAgAEAAYBEMRAE0RAFkRAEsRAP/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIBAwMCBAMFBQQEAAABfQEC" +
        "AwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dX" +
        "Z3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/aAA4E" +
        "QwBNAFkASwAAPwD9AP2yf2gP+Pv/AE3+9/FTf2yf2/8A/j7/AOJ3/e/5aV4X4F1f9vT/AIKbeKp9H/ZR+GWoajokWofZNZ8d6tKbLQNJYPbrL5" +
        "17J8jyxJdQzNawebdGIl0gcCobH/gkl/yGtX/4KMftyf8APeHS/D3wUvP+uDRXUuoanaf9fKNbLZ/88pBcfeir8n/2yf2gP+Pv/Tf738VfL/7N" +
        "X7J37ZX/AAVq8dy/8Kbs/wCxPhxpviCPTfG3xS1dk+waLuiaaRIYmkSTULkRBcW8GdrXFt5728cyzD6Q+DH/AASE/Y1/Zl+x/FL9uj4k/wDC6f" +
        "G9t5N1/wAI5l7Xwrptyv2WbZ9nz52qeXNFcR77lkt7iCfbLYqwzXYXf7av7Bf7BWnSWf7I/wACvB/gu7h0+5sG8Q2VoJ9ZubWa4FzJbz6ncGS8" +
        "uYjKqMElmdVEUSqAsaBef/4IhfsHf8PBP2yp/j98e/hh/bXwS+F/nXOr/wBt6b5uleIde2J9j0hszR+b5fmrezIEni2W8cNxGEvU3fqh8FvhT+" +
        "yN/wAEoPg1rHwf/ZattQeXWtQa98T+L/Et3Dc6zrkil/IW5niiiTyoEdo4oY40jQNI+0yzTSSdB+2T/wAFf/8Aj7/4qj+9/wAtq8v8PfGr/go9" +
        "/wAFE9ZsP+Gcvgz4gfwxrW+SP4jeI4pNN8NxWyXi2k84v5lEdz5MrNvgtvOuCIZtkLmNwPqD9sn9oD/j7/03+9/FX5//APBOv/gkj8Zf23fFWh" +
        "/tS/t0aLqHhL4DTafDrWjaZJqIg1Px5G7v5UMaRv59jYuIxK9y4jkmglh+y5E/2qDQ/ac/4KpeFfAPhW38C+BW0/RdE0XT4rDRtG0mBLa1sLWF" +
        "BHFbwxRgJFEiKqKigKqqAAAK0Lv/AIJvf8FL/jXqMmo/tS/F/wAH/BTRF1C5t7+G91mPxBrPlrbh4rmC10+U2ksTzMsREl7DIgSV9hAjEv5v69" +
        "o/xU/bJ/aP8K/st/BS2+1+J/HPiCHStM3xTyQ2vmN+8u7jyI5JEtoIhJPNIqN5cMMkhGENfoB8Sv2gfg1+yz8GtI/Z8/Z88L6f4V8G+FdP+xaF" +
        "oWmEiO3jyzMxZiXlld2eSSaRmklkkeSRnd2Y/H/gXV/29P8Agpt4qn0f9lH4ZahqOiRah9k1nx3q0pstA0lg9usvnXsnyPLEl1DM1rB5t0YiXS" +
        "BwK7Cx+CX/AASO/Yt/trUP+Fc/8LZ1e/8APj/tf41y2mvfZrZ/IPkRWf2eKxTa8G5Z/s5uB50qed5b7B++Hwx+Bnwa/wCCbf7I3h39lP4M2enp" +
        "Founxv4l12ysDbSeJNZaKNbzVZ1eWV/NndMhGkcQxrFAhEUMar+Z/wC2T+3/AP8AH3/xO/73/LSvpD4Mf8EhP2Nf2ZfsfxS/bo+JP/C6fG9t5N" +
        "1/wjmXtfCum3K/ZZtn2fPnap5c0VxHvuWS3uIJ9stirDNcf8Xf+CvPx9/aV8Val4F/Zz8B+MPH+t2mnyX91o3gnQbrVbqG1V0ja4eK1R3WIPLE" +
        "hcjaGkQZywz/AP/Z";

    private const string RgbBase64 =
        "h3JcdWJQaFZEWUk5Sz0vQDMnMiccKSAXHRYPFxELDgoGBwUDAQEBbUQdXjwUTykJQyDXNhbBLQ60IAOcF6iNEJd+BodvAnNfaVZCWkg2SjsrPT" +
        "AiMiYbJx4UHhYPFA8JDgoFBQMCiFoqe0sfaEIWWzAKTSgBQRvAOBOuLAybHAGIGpl8DoRpCHZeA2NOblxGSTgoPjAiMCQZJx0TGxMMEg0ICQYE" +
        "AQEAlGEug08dc0UXZDgJVyoASiO7PRajMg6VJweEHwB0F4RoEHNXCWRMBldAX0k3TjwrMSQXIBgOGRIKDgoGBQQCsHU1n2UrjlcffUcUcEALXy" +
        "8AVCW4Rx6lOxKRMAuBJwZyIINlFHFUEWRJClc/A0g0ADopQjIiMCQXFA4ICgcEAgIBu3o1qGkrllsfiE8VdUANaTMBWyuyTSGfQhiKNA92Lgpw" +
        "JAJeG29RFGBED1M5CUQwBTklAiwcLiEVIRgOGREK2ZBExX42sW4ooGEkjVEWf0YLbzkFYy+qUyWXSBqGPRV4Mg1qKgVcIQFOGV9DE1A3DUQuCT" +
        "YjBCkaAh8TABYNEg0HDAgE3pVIunMqp2Mhl1YYh0kHdz0GaTKmWiiRTR6CRRl2Ng9kLQpUJQNKHFo9Fk0yEEApCzIfBiUXBB0RARQLAAsGAAAA" +
        "6phI0Ic6wXctnVkWjk0Me0AEbjWfYCuOUiJ9SBpvPBNhMAtQKghHIAI5GUsxEz0mDCwbCCMVBRkOAg8IAQcDCq1V8JxH3Is6yXwus2sio10Ygk" +
        "MFdDibZC6IVyZ4TBxqQBZcNA5OKwlBIgU1GwEtEzYhDisaCSATBRMLAgsFAAIBFLFUDZ9GAY05z34uum8iqWAXmFMPhUcHazGFWSZyTR5kRBla" +
        "NBBGLQw+JQYyHAMpFQAgDycWCh0QBQ8IAQQCLshhJrRUF6JEEJI2AIIuwnEhs2cYnFYQh0cHfD4BbDOHTyBfRRpTOBNGLww5JgkxHQQlFAIaEC" +
        "UVCBULBAoFAAAAPclgMLRQJahFGpc7EYIrBXUksmUWpFkRikkHgUAAcTWEYixyVSNnOxNCMBA3JgkrHAYgFAMYDQEPCRQLAAEAWuJsSs9ePbtQ" +
        "MqtEI5o5HoMpEHUhB2gXAVoPlU8IgkMAcTd+Yy1tWCVhSB1RPRVDJAomGgYbFAMVCwEMBQAGAAEAZOJsVtBcR7tRPKpELZU2JIcpHXUhEmsXCl" +
        "sPBlEKhkQBcTd2Zy5qWiZaSh5NPxdBMxE2JwsoEQQQCwELAgACgQB9cONsY9ReU71RRq5AOpg0L4sqJnsfHmsbEl8QCk8IBUYEcjdvZC5hWyhX" +
        "SB5HPBc8MRExJAsjHQgcEwQTnROKigl1fOdqa9JaXsJLUKpBQpcvOIstLnwgI2kYG14RE1AFC0cEBzhsAjBeWShSSh9EPBc3MBErJQwhHAgZEA" +
        "QOCQIIAgAChgNpdtdYZr5MWa4/S5o0QY0qNn0hKmsWIl4QG1EIE0YDCztoCC9XAShPSB8+OxczKxAlJAweGAcUDQMLBgEFrR6MmBJ7iwds";
}
