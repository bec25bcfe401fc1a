package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"blog/internal/browsertest"
	"blog/internal/dbtest"
	"blog/internal/imagetest"
)

// uploadedName is the name the blog gives an image stored as it is (a PNG from Go's encoder has no metadata to
// remove): the first 12 bytes of its SHA-256.
func uploadedName(png []byte) string {
	sum := sha256.Sum256(png)
	return hex.EncodeToString(sum[:12]) + ".png"
}

// TestBrowserUploadsInTheEditorField uploads images into the Images page's Markdown field as the editor's
// field will take them, in Chromium: an image pasted at the cursor and one dropped on the field each show a
// placeholder and then their Markdown in its place, firing input events; a file chosen in the file input does
// the same; a page named .png dropped is refused, its placeholder removed and the sentence said in the live
// region. A post that shows an uploaded image shows its dark variant in the dark theme and the image in the light
// one. axe checks the page in both themes at phone and desktop widths, whose pictures are kept for docs/.
func TestBrowserUploadsInTheEditorField(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	light, dark := imagetest.PNG(40, 20, color.RGBA{250, 250, 245, 255}), imagetest.PNG(60, 20, color.RGBA{30, 30, 40, 255})
	dir := t.TempDir()
	for _, d := range []string{"posts", "pages", "media"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	post := "---\ntitle: Pictures\ndate: 2026-12-01\n---\n\nA chart:\n\n![A chart](/media/u/" + uploadedName(light) + ")\n"
	if err := os.WriteFile(filepath.Join(dir, "posts", "2026-12-01-pictures.md"), []byte(post), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "CONTENT_DIR": dir}
	base, _ := startServer(t, env)
	setPassword(t, env, "correct horse battery staple")
	b := browsertest.New(t)
	tab := b.Tab(t)
	signInWithPassword(t, tab, base, "correct horse battery staple")
	browsertest.Do(t, tab, chromedp.Navigate(base+"/admin/uploads"))
	browsertest.Wait(t, tab, "the field", `document.querySelector('textarea[data-upload]') !== null`)

	// A file handed to the page the way the clipboard and a drop hand them: a DataTransfer holding a File.
	file := func(data []byte, name, typ string) string {
		return fmt.Sprintf(`(() => { const b = Uint8Array.from(atob(%q), c => c.charCodeAt(0));
			const dt = new DataTransfer(); dt.items.add(new File([b], %q, {type: %q})); return dt; })()`,
			base64.StdEncoding.EncodeToString(data), name, typ)
	}
	browsertest.Eval[bool](t, tab, `(() => { const ta = document.getElementById('upload-demo'); window.inputs = 0;
		ta.addEventListener('input', () => window.inputs++); ta.focus(); ta.value = 'Before  after'; ta.setSelectionRange(7, 7);
		ta.dispatchEvent(new ClipboardEvent('paste', {clipboardData: `+file(light, "chart.png", "image/png")+`, bubbles: true, cancelable: true}));
		window.placeholder = ta.value; return true })()`)
	if ph := browsertest.Eval[string](t, tab, `window.placeholder`); !strings.HasPrefix(ph, "Before ![Uploading chart.png…](#upload-1) after") {
		t.Fatalf("no placeholder while uploading: %q", ph)
	}
	lightMD := "![](/media/u/" + uploadedName(light) + ")"
	browsertest.Wait(t, tab, "the pasted image's Markdown", fmt.Sprintf(`document.getElementById('upload-demo').value === %q`, "Before "+lightMD+" after"))
	if n := browsertest.Eval[int](t, tab, `window.inputs`); n < 2 {
		t.Fatalf("%d input events, want one for the placeholder and one for the Markdown", n)
	}
	if s := browsertest.Eval[string](t, tab, `document.getElementById('upload-demo-upload-status').textContent`); !strings.Contains(s, "chart.png uploaded") {
		t.Fatalf("status: %q", s)
	}

	// The dark variant, dropped at the end of the text; its name makes it chart.png's variant.
	browsertest.Eval[bool](t, tab, `(() => { const ta = document.getElementById('upload-demo'); ta.focus(); ta.setSelectionRange(ta.value.length, ta.value.length);
		ta.dispatchEvent(new DragEvent('drop', {dataTransfer: `+file(dark, "chart.dark.png", "image/png")+`, bubbles: true, cancelable: true})); return true })()`)
	browsertest.Wait(t, tab, "the dropped image's Markdown", fmt.Sprintf(`document.getElementById('upload-demo').value.endsWith(%q)`, "![](/media/u/"+uploadedName(dark)+")"))

	// A page named .png is refused: the placeholder goes, the sentence is said.
	browsertest.Eval[bool](t, tab, `(() => { const ta = document.getElementById('upload-demo'); window.before = ta.value;
		ta.dispatchEvent(new DragEvent('drop', {dataTransfer: `+file([]byte("<!DOCTYPE html><script>alert(1)</script>"), "evil.png", "image/png")+`, bubbles: true, cancelable: true})); return true })()`)
	browsertest.Wait(t, tab, "the refusal", `document.getElementById('upload-demo-upload-status').hasAttribute('data-error') &&
		document.getElementById('upload-demo-upload-status').textContent.includes('evil.png was not uploaded: This file is not an image') &&
		document.getElementById('upload-demo').value === window.before`)

	// A file chosen in the file input.
	chosen := filepath.Join(t.TempDir(), "dot.gif")
	if err := os.WriteFile(chosen, imagetest.GIF(6, 6), 0o644); err != nil {
		t.Fatal(err)
	}
	browsertest.Do(t, tab, chromedp.SetUploadFiles(chromedp.CSS(`#upload-demo-file`), []string{chosen}))
	browsertest.Wait(t, tab, "the chosen file's Markdown", `/!\[\]\(\/media\/u\/[0-9a-f]{24}\.gif\)/.test(document.getElementById('upload-demo').value) &&
		document.getElementById('upload-demo-file').value === ''`)

	// The post shows the light image to a light theme and the dark variant to a dark one (they differ in width).
	for _, theme := range []struct {
		name  string
		width int
	}{{"light", 40}, {"dark", 60}} {
		reader := b.PrivateTab(t)
		themed(t, reader, theme.name, 1280, 900)
		browsertest.Do(t, reader, chromedp.Navigate(base+"/posts/pictures"))
		browsertest.Wait(t, reader, theme.name+" image", fmt.Sprintf(`(() => { const i = document.querySelector('article picture img');
			return i && i.complete && i.naturalWidth === %d })()`, theme.width))
	}

	// The page with what was uploaded, in both themes at both widths.
	for _, look := range looks() {
		theme, width := look.theme, look.width
		t.Run(theme+"/"+width.name, func(t *testing.T) {
			tab := b.Tab(t)
			themed(t, tab, theme, width.w, width.h)
			browsertest.Do(t, tab, chromedp.Navigate(base+"/admin/uploads"))
			browsertest.Wait(t, tab, "the thumbnails", `Array.from(document.querySelectorAll('[data-testid=Upload] img')).every(i => i.complete && i.naturalWidth > 0)`)
			browsertest.Eval[bool](t, tab, `(() => { const ta = document.getElementById('upload-demo');
				ta.value = 'A chart of the week:\n\n`+lightMD+`\n'; return true })()`)
			axeCheck(t, tab, axe)
			keepPicture(t, fmt.Sprintf("owner-images-%s-%s", width.name, theme), func() ([]byte, error) { return chromedp.Run(tab, chromedp.FullScreenshot(100)) })
		})
	}
}

// TestBrowserUploadWithoutJavaScript uploads a camera's photo from the Images page's form with scripts off: the
// page comes back showing the picture (the right way up) and its Markdown.
func TestBrowserUploadWithoutJavaScript(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)}
	base, _ := startServer(t, env)
	setPassword(t, env, "correct horse battery staple")
	b := browsertest.New(t)
	tab := b.Tab(t)
	if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	signInWithPassword(t, tab, base, "correct horse battery staple")
	browsertest.Do(t, tab, chromedp.Navigate(base+"/admin/uploads"))
	photo := filepath.Join(t.TempDir(), "harbour.jpg")
	if err := os.WriteFile(photo, imagetest.JPEGWithMetadata(48, 32), 0o644); err != nil {
		t.Fatal(err)
	}
	browsertest.Do(t, tab, chromedp.SetUploadFiles(chromedp.CSS(`#upload-file`), []string{photo}),
		chromedp.SendKeys(chromedp.CSS(`#upload-alt`), "The harbour at dawn"),
		chromedp.Click(chromedp.CSS(`[data-testid=UploadForm] button[type=submit]`)))
	// The photo is 48×32 with an EXIF orientation of 6 (turned a quarter): the browser shows it 32×48, so the
	// orientation survived the removal of its metadata.
	browsertest.Wait(t, tab, "the uploaded picture, loaded the right way up", `(() => { const i = document.querySelector('[data-testid=JustUploaded] img');
		return i && i.complete && i.naturalWidth === 32 && i.naturalHeight === 48 })()`)
	md := browsertest.Eval[string](t, tab, `document.getElementById('just-md').value`)
	if !strings.HasPrefix(md, "![The harbour at dawn](/media/u/") || !strings.HasSuffix(md, ".jpg)") {
		t.Fatalf("Markdown shown: %q", md)
	}
}
