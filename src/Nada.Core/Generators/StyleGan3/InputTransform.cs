namespace Nada.Core.Generators.StyleGan3;

/// <summary>
/// A rendering-time transform of a StyleGAN3 image: translation and rotation of the Fourier-feature input, as
/// NVIDIA's <c>gen_images.py --translate X,Y --rotate DEG</c>. Translation is in units of the image width
/// (1 / ImgResolution = one pixel; positive X moves content right, positive Y down); rotation in degrees.
/// </summary>
/// <param name="TranslateX">Horizontal shift in image widths.</param>
/// <param name="TranslateY">Vertical shift in image heights.</param>
/// <param name="RotateDegrees">Rotation in degrees (NVIDIA's sign convention).</param>
public sealed record InputTransform(double TranslateX = 0, double TranslateY = 0, double RotateDegrees = 0)
{
    /// <summary>No transform (the generator's default).</summary>
    public static readonly InputTransform Identity = new();

    /// <summary>The transform of optional parts (a request's query or body): null when none is given, missing parts 0.</summary>
    public static InputTransform? FromParts(double? translateX, double? translateY, double? rotateDegrees) =>
        translateX is null && translateY is null && rotateDegrees is null ? null : new(translateX ?? 0, translateY ?? 0, rotateDegrees ?? 0);

    /// <summary>A shift by whole (or fractional) output pixels of an image of <paramref name="resolution"/> pixels.</summary>
    public static InputTransform Pixels(double dx, double dy, int resolution, double rotateDegrees = 0) =>
        new(dx / resolution, dy / resolution, rotateDegrees);

    /// <summary>
    /// The 3x3 matrix the input stores (row-major): the inverse of NVIDIA's <c>make_transform(translate, angle)</c>,
    /// since the input maps output coordinates back to feature coordinates. Zero transform gives the identity exactly.
    /// </summary>
    public float[] InverseMatrix()
    {
        double a = RotateDegrees / 360.0 * Math.PI * 2;
        double s = Math.Sin(a), c = Math.Cos(a);
        // make_transform: [[c, s, tx], [-s, c, ty], [0, 0, 1]]; its inverse: [[c, -s, -(c tx - s ty)], [s, c, -(s tx + c ty)], [0, 0, 1]].
        double tx = TranslateX, ty = TranslateY;
        return
        [
            F(c), F(-s), F(-(c * tx - s * ty)),
            F(s), F(c), F(-(s * tx + c * ty)),
            0f, 0f, 1f,
        ];
    }

    private static float F(double v) => v == 0 ? 0f : (float)v;   // no negative zeros: the identity is bit-exact
}
