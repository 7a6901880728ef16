package app

// knowledgeArea is the knowledge base: articles, suggestions while a
// ticket is written, and category and group suggestions for agents.
func (a *App) knowledgeArea() area {
	return area{name: "knowledge"}
}
