// Prints the code point ranges Go's unicode package calls a letter or a number (what
// Mattermost's mention parser keeps inside a word), one "lo hi" pair of hex numbers a line,
// after a first line "# <Unicode version>". Run by generate.ts with each Go toolchain whose
// tables a Mattermost server may have been built with.
package main

import (
	"fmt"
	"unicode"
)

func main() {
	fmt.Printf("# %s\n", unicode.Version)
	in := false
	var lo rune
	for c := rune(0); c <= unicode.MaxRune+1; c++ {
		ok := c <= unicode.MaxRune && (unicode.IsLetter(c) || unicode.IsNumber(c))
		if ok && !in {
			lo, in = c, true
		} else if !ok && in {
			fmt.Printf("%x %x\n", lo, c-1)
			in = false
		}
	}
}
