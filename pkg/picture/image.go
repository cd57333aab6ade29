package picture

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// errNotImage and errTooManyPixels are pictures that can never be used.
var (
	errNotImage      = errors.New("not a JPEG, PNG, GIF or WebP image")
	errTooManyPixels = errors.New("the image has too many pixels")
)

// format is a picture type the service accepts, found by sniffing the
// bytes (never by the Content-Type the server claims).
type format struct {
	name         string
	decode       func([]byte) (image.Image, error)
	decodeConfig func([]byte) (image.Config, error)
}

func reader(f func(r *bytes.Reader) (image.Image, error)) func([]byte) (image.Image, error) {
	return func(b []byte) (image.Image, error) { return f(bytes.NewReader(b)) }
}

func configReader(f func(r *bytes.Reader) (image.Config, error)) func([]byte) (image.Config, error) {
	return func(b []byte) (image.Config, error) { return f(bytes.NewReader(b)) }
}

// formats are what process_new_icon() reads (JPEG, PNG, GIF: its first
// frame) plus WebP, which Moodle's own upload form refuses but consumers'
// avatar services send; golang.org/x/image/webp, from the Go project,
// decodes it (still images).
var formats = map[string]format{
	"image/jpeg": {"jpeg", reader(func(r *bytes.Reader) (image.Image, error) { return jpeg.Decode(r) }),
		configReader(func(r *bytes.Reader) (image.Config, error) { return jpeg.DecodeConfig(r) })},
	"image/png": {"png", reader(func(r *bytes.Reader) (image.Image, error) { return png.Decode(r) }),
		configReader(func(r *bytes.Reader) (image.Config, error) { return png.DecodeConfig(r) })},
	"image/gif": {"gif", reader(func(r *bytes.Reader) (image.Image, error) { return gif.Decode(r) }),
		configReader(func(r *bytes.Reader) (image.Config, error) { return gif.DecodeConfig(r) })},
	"image/webp": {"webp", reader(func(r *bytes.Reader) (image.Image, error) { return webp.Decode(r) }),
		configReader(func(r *bytes.Reader) (image.Config, error) { return webp.DecodeConfig(r) })},
}

// decode sniffs and decodes a picture, refusing one whose declared size
// exceeds maxPixels before any pixel is decoded (a small file can declare
// a huge image: a decompression bomb).
func decode(body []byte, maxPixels int64) (image.Image, string, error) {
	f, ok := formats[http.DetectContentType(body)]
	if !ok {
		return nil, "", errNotImage
	}
	cfg, err := f.decodeConfig(body)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s: %v", errNotImage, f.name, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, "", fmt.Errorf("%w: %s of %d×%d pixels", errNotImage, f.name, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, "", fmt.Errorf("%w: %d×%d, at most %d pixels are accepted", errTooManyPixels, cfg.Width, cfg.Height, maxPixels)
	}
	img, err := f.decode(body)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s: %v", errNotImage, f.name, err)
	}
	return img, f.name, nil
}

// iconsOf decodes a downloaded picture and makes its icons.
func iconsOf(body []byte, maxPixels int64) ([]icon, error) {
	img, name, err := decode(body, maxPixels)
	if err != nil {
		return nil, err
	}
	return makeIcons(img, name)
}

// icon is one of the files process_new_icon() makes.
type icon struct {
	name     string // f1.png …
	mimeType string
	data     []byte
	hash     string // its content hash, once in the pool
}

// iconSizes are process_new_icon()'s: f1 100×100, f2 35×35, f3 512×512.
var iconSizes = []struct {
	name string
	size int
}{{"f1", 100}, {"f2", 35}, {"f3", 512}}

// makeIcons does what Moodle's process_new_icon() does with a picture: the
// largest centred square (centre and half side rounded down, as PHP's
// floor() does) scaled to each icon size with a bicubic filter; JPEG
// pictures give JPEG icons (quality 90), the others PNG icons that keep
// transparency.
func makeIcons(img image.Image, formatName string) ([]icon, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	half := min(w, h) / 2
	side := max(2*half, 1)
	x0, y0 := b.Min.X+w/2-half, b.Min.Y+h/2-half
	crop := image.Rect(x0, y0, x0+side, y0+side)

	// f3 from the picture; f1 and f2 from f3 when the picture is larger,
	// which looks the same and costs far less than three passes over it.
	f3 := scale(img, crop, 512)
	var out []icon
	for _, s := range iconSizes {
		var dst *image.RGBA
		switch {
		case s.size == 512:
			dst = f3
		case side > 512:
			dst = scale(f3, f3.Bounds(), s.size)
		default:
			dst = scale(img, crop, s.size)
		}
		var buf bytes.Buffer
		ic := icon{name: s.name + ".png", mimeType: "image/png"}
		var err error
		if formatName == "jpeg" {
			ic.name, ic.mimeType = s.name+".jpg", "image/jpeg"
			err = jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 90})
		} else {
			err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, dst)
		}
		if err != nil {
			return nil, fmt.Errorf("encoding %s: %w", ic.name, err)
		}
		ic.data = buf.Bytes()
		out = append(out, ic)
	}
	return out, nil
}

func scale(src image.Image, from image.Rectangle, size int) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, size, size))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, from, draw.Src, nil)
	return dst
}
