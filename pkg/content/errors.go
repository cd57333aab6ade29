package content

import (
	"errors"
	"net/http"
)

// Error is a refusal with the plugin's error code, an HTTP status for
// services.php and a message for the consumer's administrator. Callers
// test for one with errors.Is and read it with errors.As; wrapped errors
// may add detail after the message.
type Error struct {
	Code    string
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Message }

// Is matches errors with the same code, so wrapped copies match too.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code
}

// The refusals, with the plugin's codes where it had one.
var (
	ErrNoContextID         = &Error{"missingcontextid", http.StatusBadRequest, "The request lacks the context_id (or the context title or label the site's course idnumber format uses), so no course can be named for it."}
	ErrCannotDetermine     = &Error{"cantdeterminecontext", http.StatusConflict, "More than one course or tool matches this context."}
	ErrRoleCannotCreate    = &Error{"rolecannotcreatecontexts", http.StatusForbidden, "Your role may not create courses."}
	ErrNoTemplate          = &Error{"invalidtplcourse", http.StatusNotFound, "No template course has the idnumber given in custom_context_template."}
	ErrToolNotCourse       = &Error{"invalidtypetool", http.StatusBadRequest, "This tool provides an activity, not a course: activities can only be copied into a course tool's course."}
	ErrNoResource          = &Error{"invalidresourcecopyid", http.StatusNotFound, "No activity has the idnumber given in custom_resource_link_copy_id."}
	ErrAmbiguousResource   = &Error{"ambiguousresourcecopyid", http.StatusConflict, "More than one activity has the idnumber given in custom_resource_link_copy_id."}
	ErrNotCopyable         = &Error{"resourcenotcopyable", http.StatusUnprocessableEntity, "This activity cannot be copied."}
	ErrUserDataOtherCourse = &Error{"userdatanotcopyable", http.StatusForbidden, "The activity is in another course: its users' data (submissions, posts, grades) is not copied into this course. Ask for the copy without custom_copy_userdata."}
	ErrRoleCannotCreateRes = &Error{"rolecannotcreateresources", http.StatusForbidden, "Your role may not create activities."}
	ErrUnsupportedType     = &Error{"unsupportedresourcetype", http.StatusBadRequest, "Activities of this type cannot be created from a launch."}
	ErrNoResourceLink      = &Error{"missingresourcelinkid", http.StatusBadRequest, "The request has no resource_link_id."}
	ErrBusy                = &Error{"busy", http.StatusServiceUnavailable, "Another request is creating the same content; try again in a moment."}
	ErrNoCategory          = &Error{"nocategory", http.StatusInternalServerError, "The site has no course category to create courses in."}
)
