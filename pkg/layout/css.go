package layout

import (
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// Boost 4.5 selectors, checked against real pages (../shared/moodle/pages)
// and theme/boost/templates/drawers.mustache. Each rule also keeps the
// plugin's Clean-theme selectors, for sites on older themes.
const (
	hideHeaderCSS = `/* hide page header */
nav.navbar.fixed-top,#page-header,.secondary-navigation,header.navbar{display:none!important}
#page.drawers,#page{margin-top:0!important}
.drawer{top:0!important;height:100vh!important}
`
	hideFooterCSS = `/* hide page footer */
#page-footer{display:none!important}
`
	hideLeftCSS = `/* hide left blocks: Boost's course index drawer */
#theme_boost-drawers-courseindex,.drawer-left-toggle,#region-pre,#block-region-side-pre{display:none!important}
#page.drawers.show-drawer-left{margin-left:0!important}
`
	hideRightCSS = `/* hide right blocks: Boost's block drawer */
#theme_boost-drawers-blocks,.drawer-right-toggle,[data-region="blocks-column"],#region-post,#block-region-side-post{display:none!important}
#page.drawers.show-drawer-right{margin-right:0!important}
`
	forceNavCSS = `/* force navigation: no way out through the site menus */
.primary-navigation,#theme_boost-drawers-primary,.drawer-primary{display:none!important}
`
)

// CSS is the stylesheet for a launch's layout; empty when it changes
// nothing.
func CSS(l store.Layout) string {
	var b strings.Builder
	if l.HidePageHeader {
		b.WriteString(hideHeaderCSS)
	}
	if l.HidePageFooter {
		b.WriteString(hideFooterCSS)
	}
	if l.HideLeftBlocks {
		b.WriteString(hideLeftCSS)
	}
	if l.HideRightBlocks {
		b.WriteString(hideRightCSS)
	}
	if l.ForceNavigation {
		b.WriteString(forceNavCSS)
	}
	if css := strings.TrimSpace(l.CustomCSS); css != "" {
		b.WriteString("/* custom CSS of the tool and the launch */\n")
		b.WriteString(css)
		b.WriteString("\n")
	}
	return b.String()
}
