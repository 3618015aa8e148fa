//! The language people read error messages in: Chinese when a request's `Accept-Language`
//! prefers it, English otherwise. The gateway reads the client's header once and sends every
//! subgraph the language it chose (`accept-language: zh` or `en`), so that requests alike in
//! everything but the browser's list of languages stay alike to caching and deduplication.
//! A subgraph answers a request within [`Language::scope`], and its errors read
//! [`Language::current`].

use std::future::Future;

/// A language of error messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Language {
    #[default]
    English,
    /// Simplified Chinese (简体中文).
    Chinese,
}

tokio::task_local! {
    static CURRENT: Language;
}

impl Language {
    /// The language an `Accept-Language` header prefers among Chinese and English: the one
    /// with the higher quality (`zh-CN, zh;q=0.9, en;q=0.8` → Chinese), the first listed on a
    /// tie; English when it names neither or is absent.
    pub fn preferred(accept_language: Option<&str>) -> Self {
        let mut best: Option<(Language, f32)> = None;
        for entry in accept_language.unwrap_or("").split(',') {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let language = match tag.split('-').next() {
                Some("zh") => Language::Chinese,
                Some("en") => Language::English,
                _ => continue,
            };
            let quality = parts
                .filter_map(|parameter| parameter.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if quality > 0.0 && best.is_none_or(|(_, known)| quality > known) {
                best = Some((language, quality));
            }
        }
        best.map(|(language, _)| language).unwrap_or_default()
    }

    /// The value the gateway sends subgraphs as `accept-language`.
    pub fn header_value(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Chinese => "zh",
        }
    }

    /// Runs `future` answering in this language.
    pub async fn scope<F: Future>(self, future: F) -> F::Output {
        CURRENT.scope(self, future).await
    }

    /// The language of the request being answered (English outside any [`Language::scope`]).
    pub fn current() -> Self {
        CURRENT.try_with(|language| *language).unwrap_or_default()
    }

    /// Picks the text of this language.
    pub fn pick<T>(self, english: T, chinese: T) -> T {
        match self {
            Language::English => english,
            Language::Chinese => chinese,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preferred_language_follows_the_qualities() {
        let cases = [
            (None, Language::English),
            (Some(""), Language::English),
            (Some("zh-CN,zh;q=0.9,en;q=0.8"), Language::Chinese),
            (Some("en-US,en;q=0.9,zh-CN;q=0.8"), Language::English),
            (Some("fr-FR, zh;q=0.5"), Language::Chinese),
            (Some("zh;q=0, en;q=0.1"), Language::English),
            (Some("de, fr"), Language::English),
            (Some("ZH-Hans"), Language::Chinese),
            (Some("en;q=0.7, zh;q=0.7"), Language::English),
        ];
        for (header, language) in cases {
            assert_eq!(Language::preferred(header), language, "{header:?}");
        }
    }

    #[tokio::test]
    async fn a_scope_sets_the_current_language() {
        assert_eq!(Language::current(), Language::English);
        let inside = Language::Chinese.scope(async { Language::current() }).await;
        assert_eq!(inside, Language::Chinese);
    }
}
