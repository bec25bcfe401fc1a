package handlers_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkPostPage renders a post with 100 comments through the app's handler, without a network, so the
// handler's own cost can be profiled (go test -bench PostPage -cpuprofile cpu.out ./handlers/).
func BenchmarkPostPage(b *testing.B) {
	a := newTestApp(b)
	for i := range 100 {
		a.mustPost(b, fmt.Sprintf("comment %d", i))
	}
	h := a.app.Handler()
	for _, path := range []string{"/posts/hello-world"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					var ctx fasthttp.RequestCtx
					ctx.Request.SetRequestURI(path)
					ctx.Request.Header.Set("Accept-Encoding", "gzip, deflate, br")
					h(&ctx)
					if ctx.Response.StatusCode() != 200 {
						b.Fatal(ctx.Response.StatusCode())
					}
				}
			})
		})
	}
}

// BenchmarkPostComment posts comments through htmx on a post that already has 200.
func BenchmarkPostComment(b *testing.B) {
	a := newTestApp(b)
	for i := range 200 {
		a.mustPost(b, fmt.Sprintf("comment %d", i))
	}
	h := a.app.Handler()
	var n atomic.Int64
	b.ResetTimer()
	b.ReportAllocs()
	b.SetParallelism(4) // 8 posters on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			var ctx fasthttp.RequestCtx
			ctx.Request.Header.SetMethod("POST")
			ctx.Request.SetRequestURI("/posts/hello-world/comments")
			ctx.Request.Header.SetContentType("application/x-www-form-urlencoded")
			ctx.Request.Header.Set("HX-Request", "true")
			ctx.Request.Header.Set("Sec-Fetch-Site", "same-origin")
			ctx.Request.Header.Set("Accept-Encoding", "gzip, deflate, br")
			ctx.Request.SetBodyString(fmt.Sprintf("username=Bench&email=bench%d@example.com&body=comment+%d", i%20, i))
			h(&ctx)
			if ctx.Response.StatusCode() != 200 {
				b.Fatal(ctx.Response.StatusCode(), string(ctx.Response.Body()))
			}
		}
	})
}
