/** @type {import('tailwindcss').Config} */
module.exports = {
  content: ["./views/**/*.templ", "./views/**/*.go", "./assets/js/**/*.js"],
  darkMode: "media",
  theme: {
    extend: {
      fontFamily: {
        // Nothing is loaded from another host: the interface uses the system's fonts, the reading text
        // Source Serif 4, served by the blog itself (assets/fonts, from @fontsource-variable/source-serif-4).
        sans: ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
        serif: ['"Source Serif 4 Variable"', "Georgia", "Cambria", '"Times New Roman"', "serif"],
      },
      typography: ({ theme }) => ({
        stone: {
          css: {
            // The article is the darkest, largest text on the page; headings darker still.
            "--tw-prose-body": theme("colors.stone.800"),
            "--tw-prose-headings": theme("colors.stone.950"),
            "--tw-prose-lead": theme("colors.stone.700"),
            "--tw-prose-links": theme("colors.teal.800"),
            "--tw-prose-bold": theme("colors.stone.950"),
            "--tw-prose-quotes": theme("colors.stone.800"),
            "--tw-prose-quote-borders": theme("colors.teal.700"),
            "--tw-prose-code": theme("colors.stone.900"),
            "--tw-prose-pre-code": theme("colors.stone.900"),
            "--tw-prose-pre-bg": "#f7f7f7",
            "--tw-prose-th-borders": theme("colors.stone.400"),
            "--tw-prose-td-borders": theme("colors.stone.300"),
            "--tw-prose-invert-body": theme("colors.stone.200"),
            "--tw-prose-invert-headings": theme("colors.stone.50"),
            "--tw-prose-invert-lead": theme("colors.stone.300"),
            "--tw-prose-invert-links": theme("colors.teal.300"),
            "--tw-prose-invert-bold": theme("colors.stone.50"),
            "--tw-prose-invert-quotes": theme("colors.stone.200"),
            "--tw-prose-invert-quote-borders": theme("colors.teal.400"),
            "--tw-prose-invert-code": theme("colors.stone.100"),
            "--tw-prose-invert-pre-code": theme("colors.stone.100"),
            "--tw-prose-invert-pre-bg": theme("colors.stone.900"),
            "--tw-prose-invert-th-borders": theme("colors.stone.600"),
            "--tw-prose-invert-td-borders": theme("colors.stone.700"),
          },
        },
      }),
    },
  },
  plugins: [require("@tailwindcss/typography")],
};
