"""Word classes for the judge guard: the closed classes of words that carry no answer, in many languages.

A completion is content-free when, once its markup is gone, every word it has belongs to one of these
classes (function words, discourse markers, reasoning openers, words about answering, correctness claims,
words addressed to a grader, generic words about an image): the guard (``rewardsmith.judges.guard``)
decides word by word, so any *combination* of these words is recognised, in any order, with any markup,
across languages, instead of a list of whole phrases. Content words (nouns, names, numbers, verbs of the
subject matter) are open-class and are never listed: a word the lexicon does not know is content.

Each entry belongs to a *concept* (``answer``, ``solution``, ``think`` ...) so that a word can be recognised
as the translation of a word the prompt asks about ("Translate to German: solution" -> "Lösung").
Words ending in ``*`` are stems: the stem plus an inflectional ending of at most ``STEM_SLACK`` letters.
Entries of CJK / kana scripts are matched inside runs of those scripts (longest match first).

>>> lookup("Lösung")
('meta', 'solution')
>>> lookup("думаю")
('reasoning', 'think')
>>> lookup("Paris") is None
True
"""

from __future__ import annotations

import functools
import unicodedata

#: How many letters an inflectional ending may add to a stem entry (``lös*`` -> ``lösen``, ``lösung``).
STEM_SLACK = 4

#: concept -> (class, {language: space-separated words})
CONCEPTS: dict[str, tuple[str, dict[str, str]]] = {
    # ------------------------------------------------------------------ about answering (meta)
    "answer": ("meta", {
        "en": "answer answers answered answering ans response responses reply replies",
        "de": "antwort antworten antwortet",
        "fr": "réponse réponses répondre répondons reponse",
        "es": "respuesta respuestas responder respondemos",
        "it": "risposta risposte rispondere",
        "pt": "resposta respostas responder",
        "nl": "antwoord antwoorden",
        "ru": "ответ* отвеч*",
        "uk": "відповідь відповіді",
        "pl": "odpowiedź odpowiedzi odpowiedz*",
        "tr": "cevap* yanıt*",
        "sv": "svar svaret",
        "id": "jawaban jawab jawabannya",
        "vi": "đáp án trả lời câu",
        "ar": "الجواب جواب الإجابة إجابة الاجابة اجابة",
        "hi": "उत्तर जवाब",
        "zh": "答案 回答 答 解答 答曰",
        "ja": "答え 答 解答 こたえ かいとう 回答",
        "ko": "답 정답 답변 대답",
    }),
    "solution": ("meta", {
        "en": "solution solutions",
        "de": "lösung lösungen lös*",
        "fr": "solution solutions résolution",
        "es": "solución soluciones solucion",
        "it": "soluzione soluzioni",
        "pt": "solução soluções solucao",
        "nl": "oplossing oplossingen",
        "ru": "решение решения решений",
        "uk": "розв'язок розв'язання рішення",
        "pl": "rozwiązanie rozwiązania",
        "tr": "çözüm çözümü çözümler",
        "sv": "lösning lösningen",
        "id": "solusi penyelesaian",
        "vi": "lời giải",
        "ar": "الحل حل",
        "hi": "हल समाधान",
        "zh": "解 解法 解题 题解 解决方案",
        "ja": "解 解法 かいせつ 解説 かいけつ",
        "ko": "풀이 해답 해설 해결",
    }),
    "result": ("meta", {
        "en": "result results outcome conclusion conclusions summary output final finally ultimately overall total "
              "reference key gold expected",
        "de": "ergebnis ergebnisse resultat fazit schluss endergebnis endgültig endgültige abschließend schließlich insgesamt",
        "fr": "résultat résultats conclusion final finale finalement enfin total",
        "es": "resultado resultados conclusión final finalmente total",
        "it": "risultato risultati conclusione finale finalmente totale",
        "pt": "resultado resultados conclusão final finalmente total",
        "nl": "resultaat uitkomst conclusie uiteindelijk eindantwoord",
        "ru": "итог* результат* вывод* окончательн* конечн* финальн*",
        "pl": "wynik* ostateczn* końcow*",
        "tr": "sonuç sonuc sonuçta nihai toplam",
        "sv": "resultat slutsats slutligen",
        "id": "hasil kesimpulan akhir akhirnya",
        "vi": "kết quả cuối cùng",
        "ar": "النتيجة نتيجة النهائي النهائية",
        "hi": "परिणाम निष्कर्ष अंतिम",
        "zh": "结果 结论 最终 最后 综上 综上所述 总之 因此 所以",
        "ja": "結果 結論 最終 最終的 以上 したがって",
        "ko": "결과 결론 최종 따라서 그러므로",
    }),
    "question": ("meta", {
        "en": "question questions problem problems task tasks exercise query prompt puzzle riddle ask asks asked asking",
        "de": "frage fragen problem probleme aufgabe aufgaben",
        "fr": "question questions problème problèmes tâche exercice",
        "es": "pregunta preguntas problema problemas tarea ejercicio",
        "it": "domanda domande problema problemi compito esercizio",
        "pt": "pergunta perguntas problema problemas tarefa exercício questão",
        "nl": "vraag vragen probleem opgave",
        "ru": "вопрос* задач* проблем*",
        "pl": "pytani* zadani* problem*",
        "tr": "soru sorunun problem problemi",
        "sv": "fråga frågan problemet uppgift",
        "id": "soal pertanyaan masalah",
        "vi": "bài toán bài bài tập",
        "ar": "السؤال سؤال المسألة مسألة المشكلة",
        "hi": "प्रश्न सवाल समस्या",
        "zh": "问题 题目 题 这道题 本题",
        "ja": "問題 質問 設問",
        "ko": "문제 질문",
    }),
    "step": ("reasoning", {
        "en": "step steps stepwise first second third next then finally lastly firstly secondly thirdly part time",
        "de": "schritt schritte schritten schrittweise erstens zweitens zunächst dann danach",
        "fr": "étape étapes pas premièrement deuxièmement ensuite puis d'abord",
        "es": "paso pasos primero segundo luego después primeramente",
        "it": "passo passi passaggio fase primo secondo poi quindi",
        "pt": "passo passos etapa etapas primeiro segundo depois",
        "nl": "stap stappen eerst daarna",
        "ru": "шаг* этап* сначала затем далее во-первых",
        "pl": "krok* najpierw następnie",
        "tr": "adım adim adımda önce sonra",
        "sv": "steg först sedan",
        "id": "langkah tahap pertama kedua",
        "vi": "bước",
        "ar": "خطوة خطوات الخطوة أولا أولاً",
        "hi": "चरण कदम पहले",
        "zh": "步 步骤 一步 一步一步 逐步 第一步 首先 然后 第一 第二",
        "ja": "段階 段階的 ステップ 手順 まず 次に",
        "ko": "단계 단계별 단계적 먼저 우선",
    }),
    "think": ("reasoning", {
        "en": "think thinking thought thoughts reason reasoning reasons consider considering analyze analyse analysis "
              "solve solving solved work working figure ponder reflect reflection deliberate let let's lets us we i",
        "de": "denk* überleg* nachdenken gedank* analys* betracht* lass lasst lassen uns wir ich",
        "fr": "pens* réfléch* réflexion raisonn* analys* considér* résol* résoud* voyons allons",
        "es": "pens* razon* analic* analiz* consider* resolv* resuelv* reflexi* veamos vamos",
        "it": "pens* ragion* analizz* consider* risolv* vediamo dopo",
        "pt": "pens* raciocín* raciocin* analis* consider* resolv* vamos",
        "nl": "denk* overweg* analys* oplos* laten",
        "ru": "дума* подума* мысл* размышл* рассужд* анализ* реш* давай* давайте разбер* разобр*",
        "pl": "myśl* pomyśl* rozważ* rozwiąż* rozwiazuj* analiz* zastanów*",
        "tr": "düşün* analiz* çözel* çözelim",
        "sv": "tänk* lös* resonemang",
        "id": "berpikir pikir pikirkan mari kita selesaikan analisis",
        "vi": "suy nghĩ hãy chúng ta giải từng",
        "ar": "لنفكر فكر تفكير التفكير لنحل نحل حل دعونا دعنا خطوة",
        "hi": "सोच सोचें विचार आइए हल करें इसे इस दर करते करना",
        "zh": "思考 思路 思考过程 分析 让我们 我们 让 想 想想 解决 求解 推理 考虑",
        "ja": "思考 思考過程 考え 考えて 考えよう 考察 分析 解いて 解く 解き 解いてみましょう 推論",
        "ko": "생각 생각해 생각해봅시다 분석 풀어봅시다 풀어 풀자 풀이해 보자 봅시다 해봅시다",
    }),
    "compute": ("reasoning", {
        "en": "calculate calculating calculation calculations compute computing computation determine determining find finding "
              "evaluate evaluating check checking verify verifying carefully careful method approach process plan strategy "
              "explanation explain explaining logic breakdown break down begin beginning start starting proceed look see "
              "understand understanding note notice observe recall remember write writing say saying repeat print reply "
              "respond return through out tackle approach address handle attempt try examine inspect explore investigate "
              "review reconsider revisit re-examine reexamine double-check recheck dive dig unpack walk go goes proceed "
              "continue break broken reckon believe guess suppose assume suspect feel help assist deal focus identify "
              "apply use set setting outline sketch organize summarize recap rethink re-evaluate into in double read "
              "reread re-read parse interpret restate rephrase list compute",
        "de": "berechn* rechn* bestimm* finden prüf* überprüf* ansatz vorgehen erklärung erklär* sorgfältig beginn* anfang* sehen "
              "durchdenk* nachdenk* angeh* schauen prozess vorgang",
        "fr": "calcul* détermin* trouv* vérifi* méthode approche processus explication expliqu* attentivement commenç* voir",
        "es": "calcul* determin* encontr* verific* método enfoque proceso explicación explic* cuidadosamente comenc* empez* ver",
        "it": "calcol* determin* trov* verific* metodo approccio processo spiegazione spieg* attentamente cominci* vedere",
        "pt": "calcul* determin* encontr* verific* método abordagem processo explicação explic* cuidadosamente comec* ver",
        "nl": "bereken* bepal* vind* controleer* methode aanpak uitleg",
        "ru": "вычисл* посчита* счита* определ* найд* найти провер* метод* подход* процесс* объясн* внимательн* начн* посмотр*",
        "pl": "oblicz* wyznacz* znajdź* sprawdź* metod* podejści* proces* wyjaśni* uważnie zacznij*",
        "tr": "hesapla* bul* kontrol* yöntem* açıklama* dikkatlice başla*",
        "sv": "beräkn* räkn* hitta* kontroll* metod förklaring noggrant",
        "id": "hitung menghitung tentukan cari periksa metode pendekatan proses penjelasan cermat",
        "vi": "tính tìm kiểm tra phương pháp cách giải thích cẩn thận",
        "ar": "نحسب احسب حساب نجد تحقق طريقة شرح بعناية",
        "hi": "गणना ज्ञात जांच विधि तरीका व्याख्या ध्यान",
        "zh": "计算 求 找出 确定 检查 验证 方法 过程 解释 说明 仔细 认真 开始 看看 注意",
        "ja": "計算 求め 求める 確認 検証 方法 過程 説明 注意 見て みましょう",
        "ko": "계산 구하 확인 검증 방법 과정 설명 주의 살펴",
    }),
    # ------------------------------------------------------------------ claims about correctness
    "correct": ("claim", {
        "en": "correct correctly right true truth accurate accurately valid verified confirmed confirm proven proved "
              "checked double-checked exact exactly precisely definitely certainly undoubtedly guaranteed approved "
              "perfect flawless complete completed done solved finished success successful agree agreed agrees "
              "expert experts official officially authoritative sure certain confident clear obvious evident apparent "
              "wrong incorrect",
        "de": "korrekt richtig wahr stimmt genau gültig bestätigt geprüft überprüft bewiesen sicher fertig gelöst "
              "perfekt vollständig experten offiziell",
        "fr": "correct correcte juste vrai vraie exact exacte exactement valide vérifié vérifiée confirmé confirmée "
              "prouvé sûr certain parfait terminé résolu experts officiel",
        "es": "correcto correcta cierto verdadero verdadera exacto exacta exactamente válido verificado verificada clara claro "
              "confirmado confirmada probado seguro perfecto terminado resuelto expertos oficial",
        "it": "corretto corretta giusto giusta vero vera esatto esatta esattamente valido verificato confermato "
              "sicuro perfetto risolto esperti ufficiale",
        "pt": "correto correta certo certa verdadeiro verdadeira exato exata exatamente válido verificado "
              "confirmado seguro perfeito resolvido especialistas oficial",
        "nl": "correct juist waar klopt exact geldig geverifieerd bevestigd zeker perfect opgelost",
        "ru": "правильн* верн* точн* истин* провер* подтвержд* доказан* уверен* идеальн* решено эксперт* официальн*",
        "pl": "poprawn* prawidłow* prawdziw* dokładn* sprawdzon* potwierdzon* pewn* idealn*",
        "tr": "doğru dogru kesin geçerli doğrulandı onaylandı mükemmel çözüldü uzmanlar",
        "sv": "korrekt rätt sant riktigt exakt bekräftad verifierad säker perfekt löst",
        "id": "benar tepat akurat valid terverifikasi pasti sempurna",
        "vi": "đúng chính xác xác nhận hoàn toàn",
        "ar": "صحيح صحيحة صح دقيق مؤكد تم التحقق",
        "hi": "सही सटीक सत्य पुष्टि",
        "zh": "正确 对 对的 没错 准确 正确的 确认 验证 完全 完全正确 无误 肯定",
        "ja": "正しい 正解 正確 確か 確認済み 完璧",
        "ko": "맞습니다 맞다 정확 올바른 확인 완벽",
    }),
    # ------------------------------------------------------------------ discourse markers, fillers, politeness
    "discourse": ("discourse", {
        "en": "ok okay okey alright all right so well now hmm hm um umm uh ah oh wow hey hi hello sure certainly absolutely "
              "indeed of course great good nice cool perfect awesome excellent fine yeah yep yup right got it understood "
              "noted thus therefore hence consequently accordingly so anyway basically actually obviously clearly "
              "simply just really very quite here there this that it below above following as follows goes "
              "wait hold please thanks thank glad happy help helping sounds interesting question's "
              "straightforward easy simple trivial immediately directly see seen job bravo congrats congratulations "
              "well-done kudos awesome amazing wonderful fantastic brilliant",
        "de": "ok okay also gut nun so hmm äh ja klar natürlich sicher gerne super toll prima schön genau richtig "
              "deshalb daher somit folglich also eigentlich einfach hier dies das folgt folgendes folgende bitte danke",
        "fr": "ok d'accord bon bien alors donc ainsi eh ah oh bien sûr certainement absolument super parfait génial "
              "voici voilà ceci cela ça suit suivant suivante merci s'il plaît évidemment simplement",
        "es": "ok vale bueno bien pues entonces así claro por supuesto ciertamente absolutamente genial perfecto "
              "aquí está esto eso sigue siguiente gracias obviamente simplemente",
        "it": "ok va bene bene allora dunque quindi così certo certamente assolutamente perfetto ottimo ecco "
              "questo quello segue seguente grazie ovviamente semplicemente",
        "pt": "ok certo bem bom então assim claro certamente absolutamente perfeito ótimo aqui está isto isso "
              "segue seguinte obrigado obviamente simplesmente",
        "nl": "oké ok goed nou dus dan zeker natuurlijk prima perfect hier dit dat volgt volgende bedankt",
        "ru": "ок хорошо ладно итак так ну конечно разумеется безусловно отлично прекрасно здесь вот это следующ* "
              "спасибо очевидно просто поэтому таким образом",
        "pl": "ok dobrze więc zatem tak oczywiście jasne świetnie idealnie tutaj oto to następując* dzięki",
        "tr": "tamam peki evet şimdi yani elbette kesinlikle harika mükemmel işte burada bu şu aşağıdaki teşekkürler",
        "sv": "okej ok bra så nu alltså självklart absolut perfekt här detta följande tack",
        "id": "oke ok baik baiklah jadi nah tentu saja pasti sempurna berikut ini itu terima kasih",
        "vi": "được rồi vâng tốt vậy thì tất nhiên chắc chắn tuyệt hoàn hảo đây là sau cảm ơn",
        "ar": "حسنا حسناً جيد إذن اذن طبعا بالتأكيد ممتاز رائع هنا هذا هذه التالي شكرا",
        "hi": "ठीक अच्छा तो अब बिल्कुल ज़रूर बढ़िया यहाँ यह निम्नलिखित धन्यवाद",
        "zh": "好 好的 嗯 那么 所以 因此 当然 确实 没问题 很好 这里 这是 如下 以下 下面 谢谢 首先 其次 接下来 好吧",
        "ja": "はい ええ では じゃあ さて まず もちろん 確かに 了解 わかりました 以下 次の ありがとう それでは",
        "ko": "네 좋아요 좋습니다 그럼 자 물론 확실히 알겠습니다 다음 아래 감사합니다",
    }),
    "polar": ("polar", {
        "en": "yes no true false yeah nope nah yep aye nay",
        "de": "ja nein wahr falsch doch",
        "fr": "oui non vrai faux si",
        "es": "sí si no verdadero falso",
        "it": "sì si no vero falso",
        "pt": "sim não nao verdadeiro falso",
        "nl": "ja nee waar onwaar",
        "ru": "да нет верно неверно",
        "pl": "tak nie prawda fałsz",
        "tr": "evet hayır doğru yanlış",
        "sv": "ja nej sant falskt",
        "id": "ya tidak benar salah",
        "vi": "có không đúng sai",
        "ar": "نعم لا",
        "hi": "हाँ हां नहीं",
        "zh": "是 否 是的 不是 对 不对 错",
        "ja": "はい いいえ そう",
        "ko": "네 예 아니요 아니오",
    }),
    "nonanswer": ("nonanswer", {
        "en": "n/a na none nothing unknown idk tbd todo xxx placeholder lorem ipsum blank empty null nil undefined "
              "nan void tba unsure unclear dunno whatever something anything stuff thing things etc",
        "de": "keine nichts unbekannt etwas irgendwas irgendetwas",
        "fr": "rien inconnu aucun aucune quelque chose",
        "es": "nada ninguno ninguna desconocido algo",
        "ru": "ничего неизвестно",
        "zh": "无 未知 不知道 东西 一些 某些 什么",
        "ja": "なし 不明",
    }),
    # ------------------------------------------------------------------ words addressed to a grader
    "grader": ("grader", {
        "en": "grader graders grading judge judges judging evaluator evaluators evaluation evaluate rater raters rating "
              "reviewer reviewers assessor assessment scorer scoring score scores grade grades graded rubric rubrics "
              "criteria criterion reward rewards verdict marks mark instructions instruction guidelines rules system "
              "assistant model ai llm reward-model",
        "de": "bewerter bewertung bewerte bewerten richter prüfer punkte punktzahl note anweisungen regeln",
        "fr": "correcteur évaluateur évaluation évalue juge note notes barème critères instructions consignes",
        "es": "evaluador evaluación evalúa juez calificación califica puntuación puntaje nota rúbrica criterios instrucciones",
        "it": "valutatore valutazione valuta giudice punteggio voto criteri istruzioni",
        "pt": "avaliador avaliação avalie juiz nota pontuação rubrica critérios instruções",
        "ru": "оцен* судь* балл* критери* инструкци* рубрик*",
        "zh": "评分 评分者 评委 裁判 评估 打分 分数 满分 评分标准 指令 指示",
        "ja": "採点 採点者 評価 評価者 審査 点数 満点 指示",
        "ko": "채점 채점자 평가 평가자 점수 만점 지시",
    }),
    # ------------------------------------------------------------------ generic words about an image
    "image": ("image", {
        "en": "image images picture pictures photo photos photograph figure diagram chart graph illustration screenshot "
              "scene shows show showing shown depicts depict depicting displays display contains contain containing "
              "visible appears appear looks look seems features includes content contents view depicted illustrate "
              "illustrates illustrated seen see observe visual visually object objects item items element elements "
              "detail details img fig attached attachment attachments enclosed omitted refer refers referring file files",
        "de": "bild bilder foto abbildung zeigt zeigen dargestellt enthält sichtbar objekt gegenstand anhang angehängt "
              "siehe sieh beigefügt beigefügte datei",
        "fr": "image images photo figure montre représente contient visible objet voir voyez ci-joint ci-jointe joint "
              "jointe pièce fichier",
        "es": "imagen imágenes foto figura muestra representa contiene visible objeto ver vea véase adjunto adjunta archivo",
        "it": "immagine foto figura mostra rappresenta contiene vedi vedere allegato allegata",
        "pt": "imagem foto figura mostra representa contém ver veja anexo anexa arquivo",
        "ru": "изображени* картинк* фото* рисун* показ* изображен* содерж* видн* предмет* объект* см смотри* "
              "приложен* вложени* файл*",
        "zh": "图片 图像 图 照片 显示 展示 包含 可以看到 看到 看 画面 从 图中 物体 物品 见 参见 详见 附 附图 附件 请 查看",
        "ja": "画像 写真 図 示して 映って 表示 参照 添付 ご覧 ください",
        "ko": "이미지 사진 그림 보여 참조 첨부",
    }),
    # ------------------------------------------------------------------ prompt cues (read in the prompt only: in a
    # completion these words are content, e.g. a language's name)
    "echo": ("cue", {
        "en": "repeat echo copy say write print output type reply respond return exactly verbatim literally following text phrase string",
        "de": "wiederhole wiederholen schreibe schreib gib sag kopiere genau wörtlich",
        "fr": "répète répétez écris écrivez recopie copie dis exactement mot",
        "es": "repite repetir escribe copia di exactamente literalmente",
        "it": "ripeti scrivi copia dì esattamente",
        "pt": "repita escreva copie diga exatamente",
        "ru": "повтори* напиши* скопируй* выведи* скажи* дословно точно",
        "zh": "重复 输出 写出 复制 原样 照抄",
        "ja": "繰り返し 書いて 出力 そのまま",
        "ko": "반복 그대로 출력 써",
    }),
    "translate": ("cue", {
        "en": "translate translation translated translating word means meaning say called english german french spanish "
              "italian portuguese dutch russian polish turkish swedish chinese japanese korean arabic hindi vietnamese "
              "indonesian ukrainian language abbreviation abbreviations acronym acronyms stand stands",
        "de": "übersetze übersetzen übersetzung wort heißt bedeutet deutsch englisch französisch spanisch",
        "fr": "traduis traduire traduction mot signifie français anglais allemand espagnol",
        "es": "traduce traducir traducción palabra significa español inglés alemán francés",
        "it": "traduci tradurre traduzione parola italiano inglese tedesco",
        "pt": "traduza traduzir tradução palavra português inglês alemão",
        "ru": "перевед* перевод* слово означает русск* английск* немецк*",
        "zh": "翻译 译成 中文 英文 英语 德语 法语 单词 意思",
        "ja": "翻訳 訳して 日本語 英語 単語 意味",
        "ko": "번역 한국어 영어 단어 뜻",
    }),
    # asks for an address (a URL, a file name): read in the prompt, it keeps URLs and media file names in the answer
    "link": ("cue", {
        "en": "url urls link links website websites webpage webpages homepage href uri domain filename filenames extension",
        "de": "link links webseite webseiten website adresse dateiname dateinamen endung",
        "fr": "lien liens url adresse",
        "es": "enlace enlaces url dirección",
        "it": "collegamento url indirizzo",
        "pt": "link url endereço",
        "ru": "ссылк* сайт* адрес*",
        "zh": "链接 网址 网站 地址 文件名",
        "ja": "リンク サイト アドレス ファイル名",
        "ko": "링크 사이트 주소 파일명",
    }),
    # asks for an image as the answer: a drawing verb alone, or a making verb with an image noun (guard.asks_for_image)
    "draw": ("cue", {
        "en": "draw drawing sketch paint painting render illustrate",
        "de": "zeichne zeichnen skizziere skizzieren male malen",
        "fr": "dessine dessinez dessiner esquisse esquissez peins peignez",
        "es": "dibuja dibujar dibuje bosqueja pinta pintar",
        "it": "disegna disegnare dipingi",
        "pt": "desenhe desenha desenhar pinte",
        "ru": "нарисуй* начерти* изобраз*",
        "zh": "画 画出 绘制 画一",
        "ja": "描いて 描く 描け",
        "ko": "그려 그리세요",
    }),
    "make": ("cue", {
        "en": "generate create make produce design plot show give",
        "de": "erstelle erstellen erzeuge erzeugen generiere generieren",
        "fr": "génère générez crée créez fais faites produis",
        "es": "genera generar crea crear haz produce",
        "it": "genera crea fai produci",
        "pt": "gere gera crie cria faça produza",
        "ru": "создай* сгенериру* сдела*",
        "zh": "生成 创建 制作 做",
        "ja": "生成 作成 作って",
        "ko": "생성 만들어",
    }),
    "symbol": ("cue", {
        "en": "symbol symbols punctuation character characters sign signs mark marks operator emoji letter letters glyph",
        "de": "symbol zeichen satzzeichen buchstabe",
        "fr": "symbole ponctuation caractère signe lettre",
        "es": "símbolo puntuación carácter signo letra",
        "ru": "символ* знак* букв* пунктуац*",
        "zh": "符号 标点 字符 字母",
        "ja": "記号 句読点 文字",
        "ko": "기호 문장부호 문자",
    }),
}

#: Function words (articles, pronouns, auxiliaries, prepositions, conjunctions, particles, question words).
FUNCTION: dict[str, str] = {
    "en": "a an the this that these those it its it's is are was were be been being am do does did done have has had "
          "having will would shall should can could may might must to of in on at by for with from into onto upon "
          "about as and or but nor if then else than so because since while when where what which who whom whose why "
          "how i me my mine we us our you your he him his she her they them their there here not also too very just "
          "only even all any each every some such own same other more most much many few one's let's lets "
          "going gonna want need like get got make made give given use using based following below above up down out "
          "over under again further once both either neither whether whatever however yet still already now everyone "
          "everybody someone somebody anyone anybody nobody everything",
    "de": "lautet lauten heißt über durch mein meine meinen meinem meiner meines dein deine deinen seine seinen ihre ihren unser unsere euer eure dort unten oben hast habt hatten seid gibt folgt folgende folgenden folgendes der die das den dem des ein eine einen einem einer eines ist sind war waren sein bin bist hat haben hatte "
          "wird werden wurde würde kann können muss müssen soll sollen zu von in im an am auf aus bei mit nach für um "
          "und oder aber wenn dann als wie was wer wo warum welche welcher es er sie wir ihr ich du mich mir uns "
          "unser nicht auch sehr nur noch schon hier da dies diese dieser dieses jetzt",
    "fr": "mon ma mes ton ta tes sa ses notre nos votre vos leur leurs ai as avons avez suis sommes êtes voici voilà ci-dessous dessous suit comme le la les l' un une des du de d' au aux ce cet cette ces c' est sont était être a ont avoir sera va "
          "peut doit à en dans sur par pour avec sans et ou mais si alors que qu' qui quoi où comment pourquoi "
          "il elle ils elles nous vous je j' tu me m' se s' ne n' pas plus très aussi ici là on",
    "es": "tengo tienes tiene tenemos tienen mi mis tu tus nuestro nuestra soy eres somos estás estamos hay ahí allí abajo arriba debajo el la los las lo un una unos unas del al de a en con por para sin sobre y o pero si entonces que qué "
          "quien quién cual cuál como cómo donde dónde por qué es son era fue ser está están estar ha han haber "
          "va vamos puede debe se nos me te le les su sus este esta estos estas ese esa eso muy también aquí",
    "it": "mio mia miei mie tuo tua suo sua nostro nostra ho hai abbiamo avete sei siamo siete ecco qua sotto seguente il lo la i gli le un uno una del della dei delle di a da in con su per tra fra e o ma se allora che chi "
          "cosa come dove perché è sono era essere ha hanno avere va può deve si ci mi ti non più molto anche qui "
          "questo questa quello quella l' un' dell' all' c'è",
    "pt": "meu minha meus minhas teu tua seu sua nosso nossa tenho tens temos sou és somos estás abaixo seguinte segue o a os as um uma uns umas do da dos das de em no na nos nas com por para sem sobre e ou mas se então que "
          "quem qual como onde porque é são era ser está estão estar tem têm ter vai pode deve se nos me te lhe "
          "seu sua este esta isso isto esse essa muito também aqui",
    "nl": "mijn jouw haar ons onze hun daar heb hebt luidt hieronder volgt de het een van in op aan met voor door naar uit bij om en of maar als dan dat die wat wie waar hoe "
          "waarom is zijn was waren heeft hebben wordt worden kan moet zal ik je jij we wij ze zij hij niet ook "
          "zeer heel hier er",
    "ru": "мой моя моё мои твой твоя наш наша ваш здесь ниже являет* звучит таков такова и в во не на с со по к ко о об от до из за для при без над под что как это этот эта эти эту этой этого этом этим тот та те ту "
          "так же ли бы то есть был была было были будет быть мы вы я он она они оно его её их нам нас вам "
          "меня мне у а но или если когда где почему какой какая какие который которая",
    "uk": "і й в у на з із до від за для по що як це цей ця ці той та ті так же чи б бути є був була було були "
          "ми ви я він вона вони його її їх нам нас вам мене мені а але або якщо коли де чому",
    "pl": "mój moja moje twój twoja nasz nasza wasz oto tutaj poniżej brzmi brzmią wygląda i w we na z ze do od za dla po o że jak to ten ta te tamten tak czy by być jest są był była było byli "
          "my wy ja on ona oni ono jego jej ich nam nas wam mnie mi a ale lub albo jeśli gdy kiedy gdzie dlaczego "
          "który która które się nie",
    "tr": "benim senin onun bizim sizin şudur budur odur şöyledir şöyle aşağıda aşağıdaki işte bir bu şu o ve veya ile için gibi de da ki mi mı mu mü ama fakat eğer ne nasıl neden nerede hangi "
          "ben sen biz siz onlar olan olarak olan var yok daha çok en",
    "sv": "min mitt mina din ditt hans hennes vår vårt era deras lyder följer nedan en ett den det de och eller men om att som är var vara har hade ska kan måste till från i på med för "
          "av vad vem var hur varför jag du vi ni han hon de inte också mycket här där",
    "id": "yaitu yakni berikut sebagai bawah demi yang dan atau tetapi di ke dari untuk dengan pada dalam ini itu adalah ialah akan bisa dapat harus "
          "saya aku kami kita anda kamu dia mereka tidak juga sangat sini sana apa siapa bagaimana mengapa kenapa",
    "vi": "là và hoặc nhưng của cho với trong trên tại từ này đó kia thì mà có được sẽ đã đang tôi chúng ta "
          "bạn anh chị nó họ không cũng rất đây gì ai sao thế nào",
    "ar": "في من إلى الى على عن مع و أو ثم لكن إذا اذا هذا هذه ذلك تلك هو هي هم نحن أنا انا أنت انت "
          "كان يكون ما ماذا من كيف لماذا أين اين الذي التي قد لقد",
    "hi": "है हैं था थे थी हो का की के को में से पर और या लेकिन यदि अगर तो यह वह ये वे हम मैं आप तुम "
          "क्या कौन कैसे क्यों कहाँ भी बहुत यहाँ नहीं",
    "zh": "如下所示 就是 即 的 了 是 在 和 与 或 但 如果 那么 这 那 这个 那个 这些 我 我们 你 你们 他 她 它 他们 也 都 很 就 "
          "吧 吗 呢 啊 把 被 为 对于 关于 中 里 上 下 个 一下 来 去 会 能 可以 要 需要 地 得 着 过 之",
    "ja": "みます てみます 少し ちょっと 通り とおり になります となります でございます は が を に で と の も へ や か から まで より です ます でした ました である だ この その あの "
          "これ それ あれ 私 私たち 我々 ね よ な て た し する します しましょう ましょう みましょう てみましょう "
          "いて いく いきます 的 に つい について では",
    "ko": "같습니다 같아요 같다 다음과 아래와 이다 있다 됩니다 된다 이 가 은 는 을 를 의 에 에서 와 과 도 로 으로 만 이것 그것 저것 저 우리 당신 그 그녀 그들 "
          "입니다 있습니다 합니다 하다 하자 해 요 고 그리고 하지만 또는",
}

#: Words that announce the speaker's own next step ("let us", "I'll", "lass mich", "让我"): a clause made of one
#: of these, a reasoning verb and no number announces reasoning instead of giving an answer.
INTENT: dict[str, str] = {
    "en": "let let's lets us me i'll i we we'll we're i'm will shall going gonna time now",
    "de": "lass lasst lassen mich uns ich wir werde werden",
    "fr": "je vais allons nous laisse laissez moi",
    "es": "vamos voy déjame dejame nos",
    "it": "lasciami lasciate vediamo ci mi",
    "pt": "vou vamos deixe deixa",
    "nl": "laten laat ik we wij",
    "ru": "давай давайте дай ка мне я мы",
    "pl": "pozwól daj",
    "id": "mari kita saya ayo",
    "vi": "hãy chúng ta tôi nào nhé",
    "tr": "hadi",
    "zh": "让 让我 我来 我们来 咱们 我 我们",
    "ja": "みます みましょう ましょう 私",
    "ko": "볼게요 봅시다 보자 볼까요 해볼게요 저 제가",
}

#: Number words (they carry an answer: "twelve", "zwölf").
NUMBER_WORDS: dict[str, str] = {
    "en": "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million "
          "billion trillion half third quarter dozen",
    "de": "null eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf zwanzig hundert tausend million",
    "fr": "zéro deux trois quatre cinq six sept huit neuf dix onze douze vingt cent mille million",
    "es": "cero dos tres cuatro cinco seis siete ocho nueve diez once doce veinte cien mil millón",
    "it": "zero due tre quattro cinque sei sette otto nove dieci venti cento mille",
    "pt": "zero dois duas três quatro cinco seis sete oito nove dez vinte cem mil",
    "ru": "ноль один два три четыре пять шесть семь восемь девять десять сто тысяча",
    "zh": "零 一 二 两 三 四 五 六 七 八 九 十 百 千 万 亿",
    "ja": "一 二 三 四 五 六 七 八 九 十 百 千 万",
}

_CJK_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA")


def _mark_class() -> str:
    """A regex class of the combining marks (Devanagari vowel signs, Arabic harakat ...) that ``re``'s ``\\w``
    leaves out, so words of those scripts stay whole."""
    ranges: list[tuple[int, int]] = []
    for lo, hi in ((0x0300, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F)):
        for cp in range(lo, hi + 1):
            if unicodedata.category(chr(cp)).startswith("M"):
                if ranges and ranges[-1][1] == cp - 1:
                    ranges[-1] = (ranges[-1][0], cp)
                else:
                    ranges.append((cp, cp))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)


#: one letter of a word, combining marks included (for the tokenizers of the guard and the injection scan)
LETTER = f"(?:[^\\W\\d_]|[{_mark_class()}])"


def fold(word: str) -> str:
    """NFKC, casefold, one apostrophe: the form every lookup uses.

    >>> fold("Let’s"), fold("ＡＮＳＷＥＲ")
    ("let's", 'answer')
    """
    return unicodedata.normalize("NFKC", word).casefold().replace("\u2019", "'").replace("`", "'")


def is_cjk(ch: str) -> bool:
    """A character of a script written without spaces (Han, hiragana, katakana)."""
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return False
    return name.startswith(_CJK_SCRIPTS) or "IDEOGRAPH" in name


Table = dict[str, tuple[str, str]]


def _build(entries: list[tuple[str, str, str]]) -> tuple[Table, Table, Table, int]:
    """(words, stems, cjk entries, longest cjk entry) of (entry, class, concept) triples; first entry wins."""
    words: Table = {}
    stems: Table = {}
    cjk: Table = {}
    for entry, klass, concept in entries:
        e = fold(entry)
        if all(is_cjk(ch) for ch in e):
            cjk.setdefault(e, (klass, concept))
        elif e.endswith("*") and len(e) > 2:
            stems.setdefault(e[:-1], (klass, concept))
        else:
            words.setdefault(e, (klass, concept))
    return words, stems, cjk, max((len(k) for k in cjk), default=1)


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[Table, Table, Table, int]:
    """The word classes of completions: number words, then the concepts, then function words."""
    entries = [(w, "number", "number") for text in NUMBER_WORDS.values() for w in text.split()]
    entries += [(w, k, c) for c, (k, langs) in CONCEPTS.items() if k != "cue" for text in langs.values() for w in text.split()]
    entries += [(w, "function", "function") for text in FUNCTION.values() for w in text.split()]
    return _build(entries)


@functools.lru_cache(maxsize=1)
def _cue_tables() -> tuple[Table, Table, Table, int]:
    """The prompt cues (echo, translate, symbol) and every concept, for reading prompts."""
    entries = [(w, k, c) for c, (k, langs) in CONCEPTS.items() if k == "cue" for text in langs.values() for w in text.split()]
    return _build(entries)


def _find(word: str, tables: tuple[Table, Table, Table, int]) -> tuple[str, str] | None:
    words, stems, _, _ = tables
    w = fold(word)
    hit = words.get(w)
    if hit is not None:
        return hit
    for cut in range(min(len(w), 12), 2, -1):
        stem = stems.get(w[:cut])
        if stem is not None and len(w) - cut <= (STEM_SLACK if cut < 5 else STEM_SLACK + 3):
            return stem
    return None


@functools.lru_cache(maxsize=1)
def _function_langs() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for lang, text in FUNCTION.items():
        for w in text.split():
            out.setdefault(fold(w).rstrip("*"), set()).add(lang)
    return {w: frozenset(langs) for w, langs in out.items()}


def function_languages(word: str) -> frozenset[str]:
    """The languages in which a word is a function word ("au": French; "the": English)."""
    return _function_langs().get(fold(word), frozenset())


@functools.lru_cache(maxsize=1)
def _intent() -> frozenset[str]:
    return frozenset(fold(w) for text in INTENT.values() for w in text.split())


def is_intent(word: str) -> bool:
    """A word that announces the speaker's next step ("let's", "lass", "让我", "볼게요"), or a hortative ending
    (Turkish "-elim"/"-alım", Polish "-my", Italian "-iamo"/"-iamoci").

    >>> is_intent("Let's"), is_intent("düşünelim"), is_intent("Paris")
    (True, True, False)
    """
    w = fold(word)
    if w in _intent():
        return True
    return len(w) > 5 and w.endswith(("elim", "alım", "ylim", "yalım", "iamo", "iamoci", "ijmy", "ślmy"))


def lookup(word: str) -> tuple[str, str] | None:
    """(class, concept) of one space-delimited word of a completion, or None for a content word."""
    return _find(word, _tables())


def cue(word: str) -> str | None:
    """The prompt cue (``echo``, ``translate``, ``symbol``, ``link``) a prompt word gives, if any."""
    hit = _find(word, _cue_tables())
    return hit[1] if hit else None


def _segment(run: str, tables: tuple[Table, Table, Table, int]) -> list[tuple[str, tuple[str, str] | None]]:
    _, _, cjk, longest = tables
    out: list[tuple[str, tuple[str, str] | None]] = []
    i = 0
    while i < len(run):
        for size in range(min(longest, len(run) - i), 0, -1):
            piece = run[i : i + size]
            hit = cjk.get(piece)
            if hit is not None:
                out.append((piece, hit))
                i += size
                break
        else:
            out.append((run[i], None))
            i += 1
    return out


def segment_cjk(run: str) -> list[tuple[str, tuple[str, str] | None]]:
    """A run of Han / kana characters cut into lexicon entries (longest match first) and leftover characters.

    >>> [w for w, _ in segment_cjk("答案是")]
    ['答案', '是']
    """
    return _segment(run, _tables())


def cue_segments(run: str) -> list[str]:
    """The prompt cues found in a run of Han / kana characters."""
    return [hit[1] for _, hit in _segment(run, _cue_tables()) if hit is not None]


@functools.lru_cache(maxsize=None)
def concept_words(concept: str) -> frozenset[str]:
    """Every folded entry (stems without their ``*``) of a concept.

    >>> {"yes", "true", "oui", "是"} <= concept_words("polar")
    True
    """
    _, langs = CONCEPTS[concept]
    return frozenset(fold(w).rstrip("*") for text in langs.values() for w in text.split())
