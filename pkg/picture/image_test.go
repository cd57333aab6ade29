package picture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"testing"
)

var (
	red   = color.NRGBA{255, 0, 0, 255}
	green = color.NRGBA{0, 200, 0, 255}
	blue  = color.NRGBA{0, 0, 255, 255}
)

// stripes is a w×h picture in three vertical bands, red, green and blue:
// the centred square of a 300×100 one is exactly the green band.
func stripes(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := green
			switch {
			case x < w/3:
				c = red
			case x >= 2*w/3:
				c = blue
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// transparentGIF is a 40×40 GIF, transparent but for a green square in
// its middle.
func transparentGIF(t testing.TB) []byte {
	pal := color.Palette{color.NRGBA{0, 0, 0, 0}, green}
	img := image.NewPaletted(image.Rect(0, 0, 40, 40), pal)
	for y := 10; y < 30; y++ {
		for x := 10; x < 30; x++ {
			img.SetColorIndex(x, y, 1)
		}
	}
	var b bytes.Buffer
	if err := gif.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG is a tiny PNG whose header claims width × height pixels.
func bombPNG(t testing.TB, width, height uint32) []byte {
	b := encodePNG(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	// IHDR: 8-byte signature, length, "IHDR", width, height, …, CRC.
	binary.BigEndian.PutUint32(b[16:], width)
	binary.BigEndian.PutUint32(b[20:], height)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func near(c color.Color, want color.NRGBA) bool {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	d := func(a, b uint8) int {
		if a > b {
			return int(a - b)
		}
		return int(b - a)
	}
	return d(n.R, want.R) < 24 && d(n.G, want.G) < 24 && d(n.B, want.B) < 24 && d(n.A, want.A) < 24
}

func iconsFor(t *testing.T, body []byte) []icon {
	t.Helper()
	ics, err := iconsOf(body, 4096*4096)
	if err != nil {
		t.Fatal(err)
	}
	return ics
}

func TestIconsAreTheCentredSquare(t *testing.T) {
	for _, tc := range []struct {
		name, ext, mime string
		body            []byte
	}{
		{"png", ".png", "image/png", encodePNG(t, stripes(300, 100))},
		// JPEG pictures give JPEG icons, as process_new_icon() does.
		{"jpeg", ".jpg", "image/jpeg", encodeJPEG(t, stripes(300, 100))},
		// Tall pictures too; odd sizes round down like PHP's floor().
		{"tall", ".png", "image/png", encodePNG(t, rotate(stripes(301, 101)))},
	} {
		ics := iconsFor(t, tc.body)
		if len(ics) != 3 {
			t.Fatalf("%s: %d icons", tc.name, len(ics))
		}
		for i, want := range []struct {
			name string
			size int
		}{{"f1", 100}, {"f2", 35}, {"f3", 512}} {
			ic := ics[i]
			if ic.name != want.name+tc.ext || ic.mimeType != tc.mime {
				t.Errorf("%s: icon %d is %s %s", tc.name, i, ic.name, ic.mimeType)
			}
			img, format, err := image.Decode(bytes.NewReader(ic.data))
			if err != nil || "image/"+format != tc.mime {
				t.Fatalf("%s %s: %v %s", tc.name, ic.name, err, format)
			}
			if b := img.Bounds(); b.Dx() != want.size || b.Dy() != want.size {
				t.Errorf("%s %s: %v", tc.name, ic.name, b)
			}
			s := want.size
			for _, p := range []image.Point{{0, 0}, {s - 1, 0}, {s / 2, s / 2}, {0, s - 1}, {s - 1, s - 1}} {
				if c := img.At(p.X, p.Y); !near(c, green) {
					t.Errorf("%s %s: pixel %v is %v, want the green band", tc.name, ic.name, p, c)
				}
			}
		}
	}
}

// rotate turns the stripes on their side: a tall picture whose centred
// square is the middle band.
func rotate(src *image.NRGBA) *image.NRGBA {
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			dst.Set(y, x, src.At(x, y))
		}
	}
	return dst
}

func TestTransparencyKept(t *testing.T) {
	ics := iconsFor(t, transparentGIF(t))
	if ics[0].name != "f1.png" {
		t.Fatalf("a GIF gives %s", ics[0].name)
	}
	img, err := png.Decode(bytes.NewReader(ics[0].data))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, a := img.At(2, 2).RGBA(); a != 0 {
		t.Errorf("corner alpha %d, want transparent", a)
	}
	if c := img.At(50, 50); !near(c, green) {
		t.Errorf("centre %v", c)
	}
}

func TestWebP(t *testing.T) {
	// testdata/stripes.webp: 90×60, red, green and blue bands of 30 pixels,
	// written by PHP's imagewebp() (quality 90).
	body, err := os.ReadFile("testdata/stripes.webp")
	if err != nil {
		t.Fatal(err)
	}
	ics := iconsFor(t, body)
	img, err := png.Decode(bytes.NewReader(ics[2].data))
	if err != nil || ics[2].name != "f3.png" {
		t.Fatalf("%s: %v", ics[2].name, err)
	}
	if c := img.At(256, 256); !near(c, green) {
		t.Errorf("centre %v", c)
	}
	if c := img.At(5, 256); !near(c, red) {
		t.Errorf("left %v", c)
	}
}

func TestRefusedPictures(t *testing.T) {
	for _, tc := range []struct {
		name string
		body []byte
		want error
	}{
		{"html", []byte("<!DOCTYPE html><html><body>Not found</body></html>"), errNotImage},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>`), errNotImage},
		{"empty", nil, errNotImage},
		{"truncated png", encodePNG(t, stripes(30, 30))[:60], errNotImage},
		{"bmp", append([]byte("BM"), make([]byte, 60)...), errNotImage},
		// 40000×40000 declared in 70 bytes: refused from the header alone.
		{"decompression bomb", bombPNG(t, 40000, 40000), errTooManyPixels},
		{"just over the limit", bombPNG(t, 4097, 4096), errTooManyPixels},
	} {
		_, err := iconsOf(tc.body, 4096*4096)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func BenchmarkIconsOfLargeJPEG(b *testing.B) {
	body := encodeJPEG(b, stripes(2400, 1800))
	b.ResetTimer()
	for b.Loop() {
		if _, err := iconsOf(body, 4096*4096); err != nil {
			b.Fatal(err)
		}
	}
}
